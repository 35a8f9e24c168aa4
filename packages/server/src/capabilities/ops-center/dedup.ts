import { createHash } from "node:crypto";

/** Statuses after which an OpsItem no longer takes duplicates (a new dedup match opens a new item). */
export const CLOSED_STATUSES = new Set([
  "Resolved",
  "Closed",
  "Cancelled",
  "Failed",
  "CompletedWithSuccess",
  "CompletedWithFailure",
  "Rejected",
  "Revoked",
  "TimedOut",
]);
export const isOpen = (status: string) => !CLOSED_STATUSES.has(status);

/** The stored, indexed form of a dedup string (fixed length, so any string fits the unique index). */
export const dedupHash = (dedup: string) => createHash("sha256").update(dedup).digest("hex");

/** What the unique open_dedup column holds for an item: the hash while it is open and carries a dedup string. */
export const openDedupOf = (status: string, dedup: string | null) => (dedup !== null && isOpen(status) ? dedupHash(dedup) : null);

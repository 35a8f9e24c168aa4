import type { ServerConfig } from "../config.js";
import type { AuditRecord } from "../events/audit.js";
import type { MainProcess } from "./forward.js";

/** What the main process tells a worker over the cluster IPC channel. */
export type ToWorker = { openssm: "start"; config: ServerConfig; main: MainProcess; accountId: string } | { openssm: "stop" };

/** What a worker tells the main process. */
export type FromWorker =
  /** The worker listens for messages: it may be sent its configuration. */
  | { openssm: "ready" }
  | { openssm: "listening"; port: number }
  | { openssm: "failed"; message: string }
  /** Calls the worker answered, for the main process's audit trail (one writer for it). */
  | { openssm: "audit"; records: AuditRecord[] };

export function isMessage<T extends { openssm: string }>(m: unknown): m is T {
  return typeof m === "object" && m !== null && typeof (m as { openssm?: unknown }).openssm === "string";
}

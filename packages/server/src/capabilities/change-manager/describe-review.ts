import type { RequestContext } from "../../runtime.js";
import type { DescribedVersion } from "../documents/index.js";
import { CHANGE_TEMPLATE } from "./ops-template-review.js";
import { allReviews, statusOf } from "./reviews.js";

/**
 * DescribeDocument's review fields of a change template: ReviewStatus of the described version,
 * ApprovedVersion (the latest approved), PendingReviewVersion (the latest sent for review and not
 * decided), ReviewInformation (the decisions on this version).
 */
export async function describeReview(ctx: RequestContext, doc: DescribedVersion): Promise<Record<string, unknown>> {
  if (doc.documentType !== CHANGE_TEMPLATE || doc.kind !== "own") return {};
  const rows = await allReviews(ctx.services.db, doc.scope, doc.name);
  const byVersion = new Map<number, typeof rows>();
  for (const r of rows) byVersion.set(r.version, [...(byVersion.get(r.version) ?? []), r]);
  const mine = rows.filter((r) => r.version === doc.version && r.hash === doc.hash);
  const latestWith = (status: string) =>
    [...byVersion.entries()]
      .filter(([, list]) => statusOf(list) === status)
      .map(([v]) => v)
      .sort((a, b) => b - a)[0];
  const approved = latestWith("APPROVED");
  const pending = latestWith("PENDING");
  const decisions = mine.filter((r) => r.action === "Approve" || r.action === "Reject");
  return {
    ReviewStatus: statusOf(mine),
    ApprovedVersion: approved === undefined ? undefined : String(approved),
    PendingReviewVersion: pending === undefined ? undefined : String(pending),
    ReviewInformation: decisions.length
      ? decisions.map((r) => ({ ReviewedTime: new Date(Number(r.created_at)), Status: r.status, Reviewer: r.reviewer_name }))
      : undefined,
  };
}

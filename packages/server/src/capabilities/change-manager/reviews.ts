import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { changeDb, type ReviewRow } from "./tables.js";

export type ReviewStatus = "APPROVED" | "NOT_REVIEWED" | "PENDING" | "REJECTED";

/** The review actions of one template version, oldest first (only those of this content: a re-created template starts over). */
export async function reviewsOf(db: AnyDb, scope: Scope, name: string, version: number, hash: string): Promise<ReviewRow[]> {
  return changeDb(db)
    .selectFrom("change_template_reviews")
    .selectAll()
    .where(inScope(scope))
    .where("name", "=", name)
    .where("version", "=", version)
    .where("hash", "=", hash)
    .orderBy("seq")
    .execute();
}

/** Every review action on a template's versions, oldest first (DescribeDocument's ApprovedVersion and PendingReviewVersion). */
export async function allReviews(db: AnyDb, scope: Scope, name: string): Promise<ReviewRow[]> {
  return changeDb(db)
    .selectFrom("change_template_reviews")
    .selectAll()
    .where(inScope(scope))
    .where("name", "=", name)
    .orderBy("version")
    .orderBy("seq")
    .execute();
}

export function statusOf(rows: ReviewRow[]): ReviewStatus {
  return (rows.at(-1)?.status as ReviewStatus | undefined) ?? "NOT_REVIEWED";
}

/** Records one review action; its sequence number follows the version's last one. */
export async function addReview(db: AnyDb, row: Omit<ReviewRow, "seq">): Promise<void> {
  const d = changeDb(db);
  const last = await d
    .selectFrom("change_template_reviews")
    .select((eb) => eb.fn.max("seq").as("seq"))
    .where("account_id", "=", row.account_id)
    .where("region", "=", row.region)
    .where("name", "=", row.name)
    .where("version", "=", row.version)
    .executeTakeFirst();
  await d
    .insertInto("change_template_reviews")
    .values({ ...row, seq: Number(last?.seq ?? 0) + 1 })
    .execute();
}

/** Forgets the reviews of versions whose content changed (a deleted and re-created template). */
export async function dropStaleReviews(db: AnyDb, scope: Scope, name: string, version: number, hash: string): Promise<void> {
  await changeDb(db)
    .deleteFrom("change_template_reviews")
    .where(inScope(scope))
    .where("name", "=", name)
    .where("version", "=", version)
    .where("hash", "!=", hash)
    .execute();
}

import { ApiError } from "../../errors.js";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { type AccessRequestRow, accessDb } from "./tables.js";

export async function findAccessRequest(db: AnyDb, scope: Scope, id: string): Promise<AccessRequestRow | undefined> {
  return accessDb(db).selectFrom("access_requests").selectAll().where(inScope(scope)).where("access_request_id", "=", id).executeTakeFirst();
}

export async function requireAccessRequest(db: AnyDb, scope: Scope, id: string): Promise<AccessRequestRow> {
  const row = await findAccessRequest(db, scope, id);
  if (!row) throw new ApiError("ResourceNotFoundException", `Access request ${id} does not exist in ${scope.region}; check the AccessRequestId.`);
  return row;
}

/** The status a request has now: an approved grant whose window has passed is Expired. */
export function currentStatus(row: AccessRequestRow, now: number): string {
  if (row.status === "Approved" && row.grant_ends_at !== null && Number(row.grant_ends_at) <= now) return "Expired";
  return row.status;
}

export async function insertAccessRequest(db: AnyDb, row: AccessRequestRow): Promise<void> {
  await accessDb(db).insertInto("access_requests").values(row).execute();
}

export async function setTokenPrincipal(db: AnyDb, id: string, principalArn: string): Promise<void> {
  await accessDb(db).updateTable("access_requests").set({ token_principal_arn: principalArn }).where("access_request_id", "=", id).execute();
}

/** Approved requests whose grant ended by `now` (for the sweep that records their expiry). */
export async function endedGrants(db: AnyDb, now: number, limit = 100): Promise<AccessRequestRow[]> {
  return accessDb(db)
    .selectFrom("access_requests")
    .selectAll()
    .where("status", "=", "Approved")
    .where("grant_ends_at", "<=", now)
    .orderBy("grant_ends_at")
    .limit(limit)
    .execute();
}

/** Marks a request Expired unless another replica did; true when this call did. */
export async function markExpired(db: AnyDb, id: string): Promise<boolean> {
  const r = await accessDb(db)
    .updateTable("access_requests")
    .set({ status: "Expired" })
    .where("access_request_id", "=", id)
    .where("status", "=", "Approved")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function findByExecution(db: AnyDb, executionId: string): Promise<AccessRequestRow | undefined> {
  return accessDb(db).selectFrom("access_requests").selectAll().where("execution_id", "=", executionId).executeTakeFirst();
}

export async function getAccessRequestRow(db: AnyDb, id: string): Promise<AccessRequestRow | undefined> {
  return accessDb(db).selectFrom("access_requests").selectAll().where("access_request_id", "=", id).executeTakeFirst();
}

/** Manual requests still waiting for their approvers, and decisions not yet carried over to their OpsItems. */
export async function unsettled(db: AnyDb, limit = 200): Promise<AccessRequestRow[]> {
  return accessDb(db)
    .selectFrom("access_requests")
    .selectAll()
    .where("execution_id", "is not", null)
    .where((eb) =>
      eb.or([
        eb("status", "=", "Pending"),
        eb.and([eb("status", "in", ["Approved", "Rejected"]), eb.or([eb("ops_item_status", "is", null), eb("ops_item_status", "!=", eb.ref("status"))])]),
      ]),
    )
    .orderBy("created_at")
    .limit(limit)
    .execute();
}

/** Records a manual request's decision unless another replica did; true when this call did. */
export async function decide(
  db: AnyDb,
  id: string,
  change: { status: string; decision: string; decided_at: number; grant_ends_at: number | null },
): Promise<boolean> {
  const r = await accessDb(db)
    .updateTable("access_requests")
    .set(change)
    .where("access_request_id", "=", id)
    .where("status", "=", "Pending")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

export async function setOpsItemStatus(db: AnyDb, id: string, status: string): Promise<void> {
  await accessDb(db).updateTable("access_requests").set({ ops_item_status: status }).where("access_request_id", "=", id).execute();
}

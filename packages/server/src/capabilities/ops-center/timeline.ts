import type { AnyDb } from "../../storage/database.js";
import type { Scope } from "../../storage/scope.js";
import { newEventId } from "./store.js";
import { type OpsItemRow, opsDb } from "./tables.js";

/** One entry of an OpsItem's timeline (ListOpsItemEvents). */
export async function recordTimeline(
  db: AnyDb,
  scope: Scope,
  row: OpsItemRow,
  detailType: string,
  detail: Record<string, unknown>,
  by: string,
  at: number,
): Promise<void> {
  const last = await opsDb(db)
    .selectFrom("ops_item_events")
    .select("event_id")
    .where("ops_item_id", "=", row.ops_item_id)
    .where("created_at", "=", at)
    .orderBy("event_id", "desc")
    .executeTakeFirst();
  const seq = last ? Number(last.event_id.split("-")[1]) + 1 : 0;
  await opsDb(db)
    .insertInto("ops_item_events")
    .values({
      event_id: newEventId(at, seq),
      ops_item_id: row.ops_item_id,
      account_id: scope.accountId,
      region: scope.region,
      source: "aws.ssm",
      detail_type: detailType,
      detail: JSON.stringify(detail),
      created_by: by,
      created_at: at,
    })
    .execute();
}

/** What an OpsItem looks like in its own timeline entries. */
export const timelineDetail = (row: OpsItemRow, changed?: string[]) => ({
  opsItemId: row.ops_item_id,
  title: row.title,
  status: row.status,
  severity: row.severity ?? undefined,
  priority: row.priority ?? undefined,
  version: String(row.version),
  changedFields: changed,
});

import type { Tx } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { putTags } from "../tags/index.js";
import { findOpenDuplicate, OPS_ITEM_TAG_TYPE, opsItemEvent } from "./store.js";
import { type OpsItemRow, opsDb } from "./tables.js";
import { recordTimeline, timelineDetail } from "./timeline.js";

/** What creating an OpsItem came to: the new item, or the open item that already carried its dedup string. */
export interface Created {
  id: string;
  created: boolean;
}

/**
 * Writes a new OpsItem with its tags, its first timeline entry and its "OpsItem Create" event, in
 * the caller's transaction — unless an open item already carries its dedup string: then nothing is
 * written and that item is the answer (AWS's deduplication). The unique open_dedup index settles a
 * race between replicas: the insert that loses does nothing and reads the winner's item.
 */
export async function insertOpsItem(tx: Tx, scope: Scope, row: OpsItemRow, tags: { Key: string; Value: string }[]): Promise<Created> {
  if (row.dedup_string !== null && row.open_dedup !== null) {
    const open = await findOpenDuplicate(tx.db, scope, row.dedup_string);
    if (open) return { id: open.ops_item_id, created: false };
  }
  const inserted = await opsDb(tx.db)
    .insertInto("ops_items")
    .values(row)
    .onConflict((oc) => oc.columns(["account_id", "region", "open_dedup"]).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) {
    const winner = row.dedup_string === null ? undefined : await findOpenDuplicate(tx.db, scope, row.dedup_string);
    if (!winner) throw new Error(`OpsItem ${row.ops_item_id} was not inserted and no open duplicate holds its dedup string`);
    return { id: winner.ops_item_id, created: false };
  }
  if (tags.length) await putTags(tx.db, scope, OPS_ITEM_TAG_TYPE, row.ops_item_id, tags);
  await recordTimeline(tx.db, scope, row, "OpsItem Create", timelineDetail(row), row.created_by, row.created_at);
  tx.publish(opsItemEvent(scope, row, "Create"));
  return { id: row.ops_item_id, created: true };
}

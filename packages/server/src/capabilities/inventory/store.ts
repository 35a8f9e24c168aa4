import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { type InventoryTables, inventoryDb } from "./tables.js";

export type ItemRow = InventoryTables["inventory_items"];
export type CustomSchemaRow = InventoryTables["inventory_custom_schemas"];
export type DeletionRow = InventoryTables["inventory_deletions"];

/** Rows per INSERT statement (7 values each: well inside SQLite's and PostgreSQL's parameter limits). */
const INSERT_CHUNK = 1000;

export function getItem(db: AnyDb, scope: Scope, instanceId: string, typeName: string): Promise<ItemRow | undefined> {
  return inventoryDb(db)
    .selectFrom("inventory_items")
    .selectAll()
    .where(inScope(scope))
    .where("instance_id", "=", instanceId)
    .where("type_name", "=", typeName)
    .executeTakeFirst();
}

/** The items (without entries) of some nodes, or of every node; `types` narrows them. */
export function listItems(db: AnyDb, scope: Scope, opts: { instanceIds?: string[]; types?: string[] } = {}): Promise<ItemRow[]> {
  let q = inventoryDb(db).selectFrom("inventory_items").selectAll().where(inScope(scope));
  if (opts.instanceIds) q = q.where("instance_id", "in", opts.instanceIds.length ? opts.instanceIds : [""]);
  if (opts.types) q = q.where("type_name", "in", opts.types.length ? opts.types : [""]);
  return q.orderBy("instance_id").orderBy("type_name").execute();
}

export interface NewItem {
  typeName: string;
  schemaVersion: string;
  captureTime: string;
  contentHash: string;
  context: Record<string, string> | undefined;
  entries: Record<string, string>[];
  /** The attribute kept in the indexed key column. */
  key: string | undefined;
}

/** Replaces a node's item of one type: its entries, hash and capture time. */
export async function replaceItem(db: AnyDb, scope: Scope, instanceId: string, item: NewItem, now: number): Promise<void> {
  const d = inventoryDb(db);
  await d.deleteFrom("inventory_entries").where(inScope(scope)).where("instance_id", "=", instanceId).where("type_name", "=", item.typeName).execute();
  const rows = item.entries.map((attrs, i) => ({
    account_id: scope.accountId,
    region: scope.region,
    instance_id: instanceId,
    type_name: item.typeName,
    entry_no: i,
    key_value: item.key !== undefined && attrs[item.key] !== undefined ? String(attrs[item.key]).slice(0, 4096) : null,
    attrs: JSON.stringify(attrs),
  }));
  for (let i = 0; i < rows.length; i += INSERT_CHUNK)
    await d
      .insertInto("inventory_entries")
      .values(rows.slice(i, i + INSERT_CHUNK))
      .execute();
  const values = {
    schema_version: item.schemaVersion,
    capture_time: item.captureTime,
    content_hash: item.contentHash,
    entry_count: item.entries.length,
    context: item.context ? JSON.stringify(item.context) : null,
    updated_at: now,
  };
  await d
    .insertInto("inventory_items")
    .values({ account_id: scope.accountId, region: scope.region, instance_id: instanceId, type_name: item.typeName, ...values })
    .onConflict((oc) => oc.columns(["account_id", "region", "instance_id", "type_name"]).doUpdateSet(values))
    .execute();
}

/** The content did not change: only the capture time (and schema version) move on. */
export async function touchItem(
  db: AnyDb,
  scope: Scope,
  instanceId: string,
  typeName: string,
  captureTime: string,
  schemaVersion: string,
  now: number,
): Promise<void> {
  await inventoryDb(db)
    .updateTable("inventory_items")
    .set({ capture_time: captureTime, schema_version: schemaVersion, updated_at: now })
    .where(inScope(scope))
    .where("instance_id", "=", instanceId)
    .where("type_name", "=", typeName)
    .execute();
}

export interface EntryRow {
  instance_id: string;
  entry_no: number;
  attrs: string;
}

/**
 * Entries of one type across the fleet (or some nodes), optionally narrowed through the key column
 * (an exact value or a prefix), in node and entry order.
 */
export function entriesOf(
  db: AnyDb,
  scope: Scope,
  typeName: string,
  opts: { instanceIds?: string[]; keyEquals?: string[]; keyPrefix?: string; afterEntry?: number; limit?: number; unordered?: boolean } = {},
): Promise<EntryRow[]> {
  let q = inventoryDb(db).selectFrom("inventory_entries").select(["instance_id", "entry_no", "attrs"]).where(inScope(scope)).where("type_name", "=", typeName);
  if (opts.instanceIds) q = q.where("instance_id", "in", opts.instanceIds.length ? opts.instanceIds : [""]);
  if (opts.keyEquals) q = q.where("key_value", "in", opts.keyEquals.length ? opts.keyEquals : [""]);
  if (opts.keyPrefix !== undefined) {
    // A range on the indexed column (LIKE would need escaping and is case-insensitive on SQLite).
    q = q.where("key_value", ">=", opts.keyPrefix).where("key_value", "<", `${opts.keyPrefix}\u{10ffff}`);
  }
  if (opts.afterEntry !== undefined) q = q.where("entry_no", ">", opts.afterEntry);
  // Ordering by the primary key would make SQLite walk it instead of the key index: lookups ask for no order.
  if (!opts.unordered) q = q.orderBy("instance_id").orderBy("entry_no");
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  return q.execute();
}

export function getCustomSchema(db: AnyDb, scope: Scope, typeName: string): Promise<CustomSchemaRow | undefined> {
  return inventoryDb(db).selectFrom("inventory_custom_schemas").selectAll().where(inScope(scope)).where("type_name", "=", typeName).executeTakeFirst();
}

export function listCustomSchemas(db: AnyDb, scope: Scope): Promise<CustomSchemaRow[]> {
  return inventoryDb(db).selectFrom("inventory_custom_schemas").selectAll().where(inScope(scope)).orderBy("type_name").execute();
}

export async function putCustomSchema(db: AnyDb, scope: Scope, row: Omit<CustomSchemaRow, "account_id" | "region">): Promise<void> {
  const { type_name, ...rest } = row;
  await inventoryDb(db)
    .insertInto("inventory_custom_schemas")
    .values({ account_id: scope.accountId, region: scope.region, ...row })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "region", "type_name"])
        .doUpdateSet({ version: rest.version, attributes: rest.attributes, disabled_version: rest.disabled_version }),
    )
    .execute();
}

export async function deleteCustomSchema(db: AnyDb, scope: Scope, typeName: string): Promise<void> {
  await inventoryDb(db).deleteFrom("inventory_custom_schemas").where(inScope(scope)).where("type_name", "=", typeName).execute();
}

/** Removes a type's data from every node of the scope. */
export async function deleteTypeData(db: AnyDb, scope: Scope, typeName: string): Promise<void> {
  const d = inventoryDb(db);
  await d.deleteFrom("inventory_entries").where(inScope(scope)).where("type_name", "=", typeName).execute();
  await d.deleteFrom("inventory_items").where(inScope(scope)).where("type_name", "=", typeName).execute();
}

/** How many nodes hold data of the type, by schema version. */
export async function countsByVersion(db: AnyDb, scope: Scope, typeName: string): Promise<{ version: string; count: number }[]> {
  const rows = await inventoryDb(db)
    .selectFrom("inventory_items")
    .select(["schema_version"])
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where(inScope(scope))
    .where("type_name", "=", typeName)
    .groupBy("schema_version")
    .orderBy("schema_version")
    .execute();
  return rows.map((r) => ({ version: r.schema_version, count: Number(r.n) }));
}

export async function recordDeletion(db: AnyDb, row: DeletionRow): Promise<void> {
  await inventoryDb(db).insertInto("inventory_deletions").values(row).execute();
}

export function listDeletions(db: AnyDb, scope: Scope, opts: { deletionId?: string; before?: [number, string]; limit: number }): Promise<DeletionRow[]> {
  let q = inventoryDb(db).selectFrom("inventory_deletions").selectAll().where(inScope(scope));
  if (opts.deletionId) q = q.where("deletion_id", "=", opts.deletionId);
  const before = opts.before;
  if (before) q = q.where((eb) => eb.or([eb("started_at", "<", before[0]), eb.and([eb("started_at", "=", before[0]), eb("deletion_id", "<", before[1])])]));
  return q.orderBy("started_at", "desc").orderBy("deletion_id", "desc").limit(opts.limit).execute();
}

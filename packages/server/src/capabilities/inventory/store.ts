import { sql } from "kysely";
import { compiledOnce } from "../../storage/compiled-once.js";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import type { PreparedContent } from "./content.js";
import { type InventoryTables, inventoryDb, KEY_SEP } from "./tables.js";

export type ItemHead = InventoryTables["inventory_items"];
/** An item with its entries. */
export type ItemRow = ItemHead & Pick<InventoryTables["inventory_contents"], "content" | "key_values">;
export type CustomSchemaRow = InventoryTables["inventory_custom_schemas"];
export type DeletionRow = InventoryTables["inventory_deletions"];

export function getItem(db: AnyDb, scope: Scope, instanceId: string, typeName: string): Promise<ItemHead | undefined> {
  return inventoryDb(db)
    .selectFrom("inventory_items")
    .selectAll()
    .where(inScope(scope))
    .where("instance_id", "=", instanceId)
    .where("type_name", "=", typeName)
    .executeTakeFirst();
}

/** A node's item of a type with its entries (JSON). */
export async function getItemWithContent(db: AnyDb, scope: Scope, instanceId: string, typeName: string): Promise<ItemRow | undefined> {
  const item = await getItem(db, scope, instanceId, typeName);
  if (!item) return undefined;
  const c = await inventoryDb(db)
    .selectFrom("inventory_contents")
    .select(["content", "key_values"])
    .where(inScope(scope))
    .where("type_name", "=", typeName)
    .where("instance_id", "=", instanceId)
    .executeTakeFirst();
  return { ...item, content: c?.content ?? "[]", key_values: c?.key_values ?? "" };
}

/** The items (without entries) of some nodes, or of every node; `types` narrows them. */
export function listItems(db: AnyDb, scope: Scope, opts: { instanceIds?: string[]; types?: string[] } = {}): Promise<ItemHead[]> {
  let q = inventoryDb(db).selectFrom("inventory_items").selectAll().where(inScope(scope));
  if (opts.instanceIds) q = q.where("instance_id", "in", opts.instanceIds.length ? opts.instanceIds : [""]);
  if (opts.types) q = q.where("type_name", "in", opts.types.length ? opts.types : [""]);
  return q.orderBy("instance_id").orderBy("type_name").execute();
}

/** The hashes of a node's items of some types. */
export async function hashesOf(db: AnyDb, scope: Scope, instanceId: string, types: string[]): Promise<Map<string, string>> {
  const rows = await inventoryDb(db)
    .selectFrom("inventory_items")
    .select(["type_name", "content_hash"])
    .where(inScope(scope))
    .where("instance_id", "=", instanceId)
    .where("type_name", "in", types.length ? types : [""])
    .execute();
  return new Map(rows.map((r) => [r.type_name, r.content_hash]));
}

export interface NewItem {
  typeName: string;
  schemaVersion: string;
  captureTime: string;
  contentHash: string;
  context: Record<string, string> | undefined;
  /** The entries, ready to store. */
  content: Pick<PreparedContent, "text" | "entries" | "keys">;
}

const upsertItem = compiledOnce<[string, string, string, string, string, string, string, number, string | null, number], unknown>(
  (db, accountId, region, instanceId, typeName, schemaVersion, captureTime, contentHash, entryCount, context, now) => {
    const values = { schema_version: schemaVersion, capture_time: captureTime, content_hash: contentHash, entry_count: entryCount, context, updated_at: now };
    return inventoryDb(db)
      .insertInto("inventory_items")
      .values({ account_id: accountId, region, instance_id: instanceId, type_name: typeName, ...values })
      .onConflict((oc) => oc.columns(["account_id", "region", "instance_id", "type_name"]).doUpdateSet(values));
  },
);

const upsertContent = compiledOnce<[string, string, string, string, string, string], unknown>((db, accountId, region, instanceId, typeName, content, keys) =>
  inventoryDb(db)
    .insertInto("inventory_contents")
    .values({ account_id: accountId, region, instance_id: instanceId, type_name: typeName, content, key_values: keys })
    .onConflict((oc) => oc.columns(["account_id", "region", "type_name", "instance_id"]).doUpdateSet({ content, key_values: keys })),
);

/** Replaces a node's item of one type (one record: its entries, hash and capture time). */
export async function replaceItem(db: AnyDb, scope: Scope, instanceId: string, item: NewItem, now: number): Promise<void> {
  const context = item.context ? JSON.stringify(item.context) : null;
  const { accountId, region } = scope;
  await upsertItem(
    db,
    accountId,
    region,
    instanceId,
    item.typeName,
    item.schemaVersion,
    item.captureTime,
    item.contentHash,
    item.content.entries,
    context,
    now,
  );
  await upsertContent(db, accountId, region, instanceId, item.typeName, item.content.text, item.content.keys);
}

const updateCapture = compiledOnce<[string, string, number, string, string, string, string], unknown>(
  (db, captureTime, schemaVersion, now, accountId, region, instanceId, typeName) =>
    inventoryDb(db)
      .updateTable("inventory_items")
      .set({ capture_time: captureTime, schema_version: schemaVersion, updated_at: now })
      .where("account_id", "=", accountId)
      .where("region", "=", region)
      .where("instance_id", "=", instanceId)
      .where("type_name", "=", typeName),
);

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
  await updateCapture(db, captureTime, schemaVersion, now, scope.accountId, scope.region, instanceId, typeName);
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Whether a key_values column holds the value (exactly), or a value starting with the prefix. */
export function hasKey(keyValuesColumn: string, value: string, prefix = false): boolean {
  const v = value.replaceAll(KEY_SEP, "");
  return keyValuesColumn.includes(prefix ? `${KEY_SEP}${v}` : `${KEY_SEP}${v}${KEY_SEP}`);
}

/** The content hashes of a type's items across the fleet (or some nodes). */
export function itemHashes(db: AnyDb, scope: Scope, typeName: string, instanceIds?: string[]): Promise<{ instance_id: string; content_hash: string }[]> {
  let q = inventoryDb(db).selectFrom("inventory_items").select(["instance_id", "content_hash"]).where(inScope(scope)).where("type_name", "=", typeName);
  if (instanceIds) q = q.where("instance_id", "in", instanceIds.length ? instanceIds : [""]);
  return q.execute();
}

export interface ContentRow {
  instance_id: string;
  content_hash: string;
  key_values: string;
  content?: string;
}

/**
 * Items of one type across the fleet (or some nodes), narrowed through their key values (one of
 * some exact values, or a prefix): a superset (SQLite's LIKE ignores ASCII case), to be checked
 * with hasKey. `content` loads the entries too.
 */
export function itemsOf(
  db: AnyDb,
  scope: Scope,
  typeName: string,
  opts: { instanceIds?: string[]; keyEquals?: string[]; keyPrefix?: string; content?: boolean } = {},
): Promise<ContentRow[]> {
  let q = inventoryDb(db)
    .selectFrom("inventory_contents as c")
    .innerJoin("inventory_items as i", (j) =>
      j
        .onRef("i.account_id", "=", "c.account_id")
        .onRef("i.region", "=", "c.region")
        .onRef("i.instance_id", "=", "c.instance_id")
        .onRef("i.type_name", "=", "c.type_name"),
    )
    .select(opts.content ? ["c.instance_id", "i.content_hash", "c.key_values", "c.content"] : ["c.instance_id", "i.content_hash", "c.key_values"])
    .where("c.account_id", "=", scope.accountId)
    .where("c.region", "=", scope.region)
    .where("c.type_name", "=", typeName);
  if (opts.instanceIds) q = q.where("c.instance_id", "in", opts.instanceIds.length ? opts.instanceIds : [""]);
  const patterns = [
    ...(opts.keyEquals ?? []).map((v) => `%${likeEscape(`${KEY_SEP}${v.replaceAll(KEY_SEP, "")}${KEY_SEP}`)}%`),
    ...(opts.keyPrefix !== undefined ? [`%${likeEscape(`${KEY_SEP}${opts.keyPrefix.replaceAll(KEY_SEP, "")}`)}%`] : []),
  ];
  if (opts.keyEquals || opts.keyPrefix !== undefined) {
    if (!patterns.length) return Promise.resolve([]);
    q = q.where((eb) => eb.or(patterns.map((p) => sql<boolean>`${eb.ref("c.key_values")} like ${p} escape '\\'`)));
  }
  return q.orderBy("c.instance_id").execute() as Promise<ContentRow[]>;
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
  await inventoryDb(db).deleteFrom("inventory_contents").where(inScope(scope)).where("type_name", "=", typeName).execute();
  await inventoryDb(db).deleteFrom("inventory_items").where(inScope(scope)).where("type_name", "=", typeName).execute();
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

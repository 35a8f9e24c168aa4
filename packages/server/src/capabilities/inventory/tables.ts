import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";

/**
 * Inventory: one row per node and type (its hash, capture time, schema version) and, beside it, its
 * entries as one JSON array with the key attribute's values as one string for filters to narrow by;
 * the schemas of Custom: types, and the record of DeleteInventory calls. (Until inventory-002 the entries were one
 * row each: at 1,500 applications per node, ingest cost a row per application.)
 */
export interface InventoryTables {
  inventory_items: {
    account_id: string;
    region: string;
    instance_id: string;
    type_name: string;
    schema_version: string;
    capture_time: string;
    content_hash: string;
    entry_count: number;
    /** JSON of the item's Context, or null */
    context: string | null;
    updated_at: number;
  };
  /** The entries of a node's item, apart from it (a capture-time update does not rewrite them). */
  inventory_contents: {
    account_id: string;
    region: string;
    instance_id: string;
    type_name: string;
    /** JSON array of the entries (objects of string attributes). */
    content: string;
    /** The entries' key attribute values (Name for most types), each between KEY_SEP: "\u0001a\u0001b\u0001" ("" for none). */
    key_values: string;
  };
  inventory_custom_schemas: {
    account_id: string;
    region: string;
    type_name: string;
    version: string;
    /** JSON [{Name, DataType}] */
    attributes: string;
    /** DisableSchema: versions up to this one are refused; null when enabled. */
    disabled_version: string | null;
    created_at: number;
  };
  inventory_deletions: {
    deletion_id: string;
    account_id: string;
    region: string;
    type_name: string;
    started_at: number;
    last_status: string;
    last_status_message: string;
    /** JSON InventoryDeletionSummary */
    summary: string;
    updated_at: number;
  };
}

export const inventoryDb = (db: AnyDb) => db as unknown as Kysely<InventoryTables>;

export const inventoryMigrations = (): Record<string, Migration> => ({
  "inventory-001-items": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("inventory_items")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("instance_id", "varchar(124)", (c) => c.notNull())
        .addColumn("type_name", "varchar(100)", (c) => c.notNull())
        .addColumn("schema_version", "varchar(16)", (c) => c.notNull())
        .addColumn("capture_time", "varchar(32)", (c) => c.notNull())
        .addColumn("content_hash", "varchar(256)", (c) => c.notNull())
        .addColumn("entry_count", "integer", (c) => c.notNull())
        .addColumn("context", "text")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("inventory_items_pk", ["account_id", "region", "instance_id", "type_name"])
        .execute();
      await db.schema.createIndex("inventory_items_type").on("inventory_items").columns(["account_id", "region", "type_name"]).execute();
      await db.schema
        .createTable("inventory_entries")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("instance_id", "varchar(124)", (c) => c.notNull())
        .addColumn("type_name", "varchar(100)", (c) => c.notNull())
        .addColumn("entry_no", "integer", (c) => c.notNull())
        .addColumn("key_value", "varchar(4096)")
        .addColumn("attrs", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("inventory_entries_pk", ["account_id", "region", "instance_id", "type_name", "entry_no"])
        .execute();
      await db.schema.createIndex("inventory_entries_key").on("inventory_entries").columns(["account_id", "region", "type_name", "key_value"]).execute();
      await db.schema
        .createTable("inventory_custom_schemas")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("type_name", "varchar(100)", (c) => c.notNull())
        .addColumn("version", "varchar(16)", (c) => c.notNull())
        .addColumn("attributes", "text", (c) => c.notNull())
        .addColumn("disabled_version", "varchar(16)")
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("inventory_custom_schemas_pk", ["account_id", "region", "type_name"])
        .execute();
      await db.schema
        .createTable("inventory_deletions")
        .addColumn("deletion_id", "varchar(36)", (c) => c.primaryKey())
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("type_name", "varchar(100)", (c) => c.notNull())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("last_status", "varchar(16)", (c) => c.notNull())
        .addColumn("last_status_message", "varchar(1024)", (c) => c.notNull())
        .addColumn("summary", "text", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("inventory_deletions_scope").on("inventory_deletions").columns(["account_id", "region", "started_at"]).execute();
    },
  },
  "inventory-002-content": {
    // One record per node and type: the entries move from a row each into inventory_contents.
    async up(db: AnyDb) {
      await db.schema
        .createTable("inventory_contents")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("instance_id", "varchar(124)", (c) => c.notNull())
        .addColumn("type_name", "varchar(100)", (c) => c.notNull())
        .addColumn("content", "text", (c) => c.notNull())
        .addColumn("key_values", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint("inventory_contents_pk", ["account_id", "region", "type_name", "instance_id"])
        .execute();
      const legacy = db as unknown as Kysely<{
        inventory_entries: {
          account_id: string;
          region: string;
          instance_id: string;
          type_name: string;
          entry_no: number;
          key_value: string | null;
          attrs: string;
        };
      }>;
      const items = await inventoryDb(db).selectFrom("inventory_items").select(["account_id", "region", "instance_id", "type_name"]).execute();
      for (const it of items) {
        const rows = await legacy
          .selectFrom("inventory_entries")
          .select(["key_value", "attrs"])
          .where("account_id", "=", it.account_id)
          .where("region", "=", it.region)
          .where("instance_id", "=", it.instance_id)
          .where("type_name", "=", it.type_name)
          .orderBy("entry_no")
          .execute();
        await inventoryDb(db)
          .insertInto("inventory_contents")
          .values({
            ...it,
            content: `[${rows.map((r) => r.attrs).join(",")}]`,
            key_values: keyValues(rows.map((r) => r.key_value ?? undefined)),
          })
          .execute();
      }
      await db.schema.dropTable("inventory_entries").execute();
    },
  },
});

/** Separates (and surrounds) the key values in inventory_contents.key_values. */
export const KEY_SEP = "\u0001";

/** The key_values column of some entries' key values (distinct, in first-seen order). */
export function keyValues(values: (string | undefined)[]): string {
  const seen = new Set<string>();
  for (const v of values) if (v !== undefined) seen.add(v.replaceAll(KEY_SEP, ""));
  return seen.size ? `${KEY_SEP}${[...seen].join(KEY_SEP)}${KEY_SEP}` : "";
}

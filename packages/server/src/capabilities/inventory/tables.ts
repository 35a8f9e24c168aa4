import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";

/**
 * Inventory: one row per node and type (its hash, capture time, schema version), the type's entries
 * one row each (the key attribute in its own indexed column, the whole entry as JSON), the schemas of
 * Custom: types, and the record of DeleteInventory calls.
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
  inventory_entries: {
    account_id: string;
    region: string;
    instance_id: string;
    type_name: string;
    entry_no: number;
    /** The entry's key attribute (Name for most types), for indexed filters. */
    key_value: string | null;
    /** JSON object of the entry's attributes. */
    attrs: string;
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
});

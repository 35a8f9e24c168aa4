import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";

/** OpsCenter: the OpsItems, their timeline of events and their related items. */
export interface OpsCenterTables {
  ops_items: {
    ops_item_id: string;
    account_id: string;
    region: string;
    ops_item_type: string;
    title: string;
    description: string;
    source: string;
    status: string;
    severity: string | null;
    priority: number | null;
    category: string | null;
    /** JSON Record<string, { Value, Type }> */
    operational_data: string;
    /** JSON [{ Arn }] */
    notifications: string;
    /** JSON [{ OpsItemId }] */
    related_ops_items: string;
    /** The /aws/dedup string, while the item carries one. */
    dedup_string: string | null;
    version: number;
    created_by: string;
    created_at: number;
    last_modified_by: string;
    modified_at: number;
    actual_start_at: number | null;
    actual_end_at: number | null;
    planned_start_at: number | null;
    planned_end_at: number | null;
  };
  ops_item_events: {
    event_id: string;
    ops_item_id: string;
    account_id: string;
    region: string;
    source: string;
    detail_type: string;
    /** JSON text, as ListOpsItemEvents shows it. */
    detail: string;
    created_by: string;
    created_at: number;
  };
  ops_metadata: {
    account_id: string;
    region: string;
    /** The ARN's path after opsmetadata/ (aws/ssm/MyGroup/appmanager). */
    name: string;
    resource_id: string;
    /** JSON Record<string, { Value }> */
    metadata: string;
    /** Counts updates: two at once, one is refused (OpsMetadataTooManyUpdatesException). */
    version: number;
    created_at: number;
    modified_by: string;
    modified_at: number;
  };
  ops_item_related: {
    association_id: string;
    ops_item_id: string;
    account_id: string;
    region: string;
    association_type: string;
    resource_type: string;
    resource_uri: string;
    created_by: string;
    created_at: number;
  };
}

export const opsDb = (db: AnyDb): Kysely<OpsCenterTables> => db as unknown as Kysely<OpsCenterTables>;

export type OpsItemRow = OpsCenterTables["ops_items"];
export type OpsItemEventRow = OpsCenterTables["ops_item_events"];
export type RelatedItemRow = OpsCenterTables["ops_item_related"];
export type OpsMetadataRow = OpsCenterTables["ops_metadata"];

export function opsCenterMigrations(): Record<string, Migration> {
  return {
    "ops-center-001-items": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("ops_items")
          .addColumn("ops_item_id", "varchar(20)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("ops_item_type", "varchar(64)", (c) => c.notNull())
          .addColumn("title", "varchar(1024)", (c) => c.notNull())
          .addColumn("description", "text", (c) => c.notNull())
          .addColumn("source", "varchar(128)", (c) => c.notNull())
          .addColumn("status", "varchar(40)", (c) => c.notNull())
          .addColumn("severity", "varchar(8)")
          .addColumn("priority", "integer")
          .addColumn("category", "varchar(64)")
          .addColumn("operational_data", "text", (c) => c.notNull())
          .addColumn("notifications", "text", (c) => c.notNull())
          .addColumn("related_ops_items", "text", (c) => c.notNull())
          .addColumn("dedup_string", "varchar(2048)")
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("created_by", "varchar(400)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_modified_by", "varchar(400)", (c) => c.notNull())
          .addColumn("modified_at", "bigint", (c) => c.notNull())
          .addColumn("actual_start_at", "bigint")
          .addColumn("actual_end_at", "bigint")
          .addColumn("planned_start_at", "bigint")
          .addColumn("planned_end_at", "bigint")
          .execute();
        await db.schema.createIndex("ops_items_scope").on("ops_items").columns(["account_id", "region", "ops_item_id"]).execute();
        await db.schema.createIndex("ops_items_dedup").on("ops_items").columns(["account_id", "region", "dedup_string"]).execute();
        await db.schema
          .createTable("ops_item_events")
          .addColumn("event_id", "varchar(40)", (c) => c.primaryKey())
          .addColumn("ops_item_id", "varchar(20)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("source", "varchar(64)", (c) => c.notNull())
          .addColumn("detail_type", "varchar(128)", (c) => c.notNull())
          .addColumn("detail", "text", (c) => c.notNull())
          .addColumn("created_by", "varchar(400)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("ops_item_events_scope").on("ops_item_events").columns(["account_id", "region", "created_at"]).execute();
        await db.schema.createIndex("ops_item_events_item").on("ops_item_events").columns(["ops_item_id", "created_at"]).execute();
        await db.schema
          .createTable("ops_item_related")
          .addColumn("association_id", "varchar(40)", (c) => c.primaryKey())
          .addColumn("ops_item_id", "varchar(20)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("association_type", "varchar(64)", (c) => c.notNull())
          .addColumn("resource_type", "varchar(128)", (c) => c.notNull())
          .addColumn("resource_uri", "varchar(2048)", (c) => c.notNull())
          .addColumn("created_by", "varchar(400)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("ops_item_related_item").on("ops_item_related").columns(["ops_item_id", "association_id"]).execute();
      },
    },
    "ops-center-002-metadata": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("ops_metadata")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name", "varchar(1024)", (c) => c.notNull())
          .addColumn("resource_id", "varchar(1024)", (c) => c.notNull())
          .addColumn("metadata", "text", (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("modified_by", "varchar(400)", (c) => c.notNull())
          .addColumn("modified_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("ops_metadata_pk", ["account_id", "region", "name"])
          .execute();
        await db.schema.createIndex("ops_metadata_resource").on("ops_metadata").columns(["account_id", "region", "resource_id"]).unique().execute();
      },
    },
  };
}

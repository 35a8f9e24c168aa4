import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";
import { dedupHash, isOpen } from "./dedup.js";

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
    /**
     * sha256 of the dedup string while the item is open, else null: unique per account and region, so
     * two replicas creating the same duplicate at once end with one item (the loser reads the winner's).
     */
    open_dedup: string | null;
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
  /** Resource policies (PutResourcePolicy) of OpsItem groups and parameters. */
  ops_resource_policies: {
    account_id: string;
    region: string;
    resource_arn: string;
    policy_id: string;
    /** Changes with every write of the policy: a writer must name the hash it read (optimistic locking). */
    policy_hash: string;
    policy: string;
    created_at: number;
    modified_at: number;
  };
  /**
   * What each OpsItem rule has already acted on (a failed command's id, a node's loss of contact):
   * a key seen once, across replicas and repeated reports, opens no second OpsItem.
   */
  ops_rule_hits: {
    account_id: string;
    region: string;
    rule: string;
    subject: string;
    ops_item_id: string;
    created_at: number;
  };
}

export const opsDb = (db: AnyDb): Kysely<OpsCenterTables> => db as unknown as Kysely<OpsCenterTables>;

export type OpsItemRow = OpsCenterTables["ops_items"];
export type OpsItemEventRow = OpsCenterTables["ops_item_events"];
export type RelatedItemRow = OpsCenterTables["ops_item_related"];
export type OpsMetadataRow = OpsCenterTables["ops_metadata"];
export type ResourcePolicyRow = OpsCenterTables["ops_resource_policies"];

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
    "ops-center-003-open-dedup-policies-rules": {
      async up(db: AnyDb) {
        await db.schema.alterTable("ops_items").addColumn("open_dedup", "varchar(64)").execute();
        // Items from before: the oldest open item of each dedup string keeps it (a race could have made two).
        const d = opsDb(db);
        const rows = await d
          .selectFrom("ops_items")
          .select(["ops_item_id", "account_id", "region", "dedup_string", "status"])
          .where("dedup_string", "is not", null)
          .orderBy("created_at")
          .orderBy("ops_item_id")
          .execute();
        const seen = new Set<string>();
        for (const r of rows) {
          if (!isOpen(r.status) || r.dedup_string === null) continue;
          const hash = dedupHash(r.dedup_string);
          const key = `${r.account_id}|${r.region}|${hash}`;
          if (seen.has(key)) continue;
          seen.add(key);
          await d.updateTable("ops_items").set({ open_dedup: hash }).where("ops_item_id", "=", r.ops_item_id).execute();
        }
        await db.schema.createIndex("ops_items_open_dedup").on("ops_items").columns(["account_id", "region", "open_dedup"]).unique().execute();
        await db.schema.createIndex("ops_items_created").on("ops_items").columns(["account_id", "region", "created_at", "ops_item_id"]).execute();
        await db.schema.createIndex("ops_items_status").on("ops_items").columns(["account_id", "region", "status"]).execute();
        await db.schema.createIndex("ops_items_type").on("ops_items").columns(["account_id", "region", "ops_item_type"]).execute();
        await db.schema
          .createTable("ops_resource_policies")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("resource_arn", "varchar(2048)", (c) => c.notNull())
          .addColumn("policy_id", "varchar(64)", (c) => c.notNull())
          .addColumn("policy_hash", "varchar(64)", (c) => c.notNull())
          .addColumn("policy", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("modified_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("ops_resource_policies_pk", ["account_id", "region", "policy_id"])
          .execute();
        await db.schema.createIndex("ops_resource_policies_resource").on("ops_resource_policies").columns(["account_id", "region", "resource_arn"]).execute();
        await db.schema
          .createTable("ops_rule_hits")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("rule", "varchar(64)", (c) => c.notNull())
          .addColumn("subject", "varchar(512)", (c) => c.notNull())
          .addColumn("ops_item_id", "varchar(20)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("ops_rule_hits_pk", ["account_id", "region", "rule", "subject"])
          .execute();
      },
    },
  };
}

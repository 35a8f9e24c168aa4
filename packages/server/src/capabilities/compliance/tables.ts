import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";

/** Compliance: the items of each resource and compliance type, and one summary row per pair. */
export interface ComplianceTables {
  compliance_items: {
    account_id: string;
    region: string;
    resource_type: string;
    resource_id: string;
    compliance_type: string;
    item_id: string;
    title: string | null;
    severity: string;
    status: string;
    /** JSON map of the item's Details, or null */
    details: string | null;
    execution_time: number;
    execution_id: string | null;
    execution_type: string | null;
  };
  compliance_summaries: {
    account_id: string;
    region: string;
    resource_type: string;
    resource_id: string;
    compliance_type: string;
    status: string;
    overall_severity: string;
    /** JSON {COMPLIANT: {CRITICAL: n, ...}, NON_COMPLIANT: {...}} item counts */
    counts: string;
    execution_time: number;
    execution_id: string | null;
    execution_type: string | null;
    item_content_hash: string | null;
    updated_at: number;
  };
}

export const complianceDb = (db: AnyDb) => db as unknown as Kysely<ComplianceTables>;

export const complianceMigrations = (): Record<string, Migration> => ({
  "compliance-001-items": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("compliance_items")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("resource_type", "varchar(50)", (c) => c.notNull())
        .addColumn("resource_id", "varchar(100)", (c) => c.notNull())
        .addColumn("compliance_type", "varchar(100)", (c) => c.notNull())
        .addColumn("item_id", "varchar(100)", (c) => c.notNull())
        .addColumn("title", "varchar(500)")
        .addColumn("severity", "varchar(16)", (c) => c.notNull())
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("details", "text")
        .addColumn("execution_time", "bigint", (c) => c.notNull())
        .addColumn("execution_id", "varchar(100)")
        .addColumn("execution_type", "varchar(50)")
        .addPrimaryKeyConstraint("compliance_items_pk", ["account_id", "region", "resource_type", "resource_id", "compliance_type", "item_id"])
        .execute();
      await db.schema
        .createTable("compliance_summaries")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("resource_type", "varchar(50)", (c) => c.notNull())
        .addColumn("resource_id", "varchar(100)", (c) => c.notNull())
        .addColumn("compliance_type", "varchar(100)", (c) => c.notNull())
        .addColumn("status", "varchar(16)", (c) => c.notNull())
        .addColumn("overall_severity", "varchar(16)", (c) => c.notNull())
        .addColumn("counts", "text", (c) => c.notNull())
        .addColumn("execution_time", "bigint", (c) => c.notNull())
        .addColumn("execution_id", "varchar(100)")
        .addColumn("execution_type", "varchar(50)")
        .addColumn("item_content_hash", "varchar(256)")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("compliance_summaries_pk", ["account_id", "region", "resource_type", "resource_id", "compliance_type"])
        .execute();
      await db.schema.createIndex("compliance_summaries_type").on("compliance_summaries").columns(["account_id", "region", "compliance_type"]).execute();
    },
  },
});

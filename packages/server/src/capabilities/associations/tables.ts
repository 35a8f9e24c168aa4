import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";

/**
 * State Manager: associations and their versions, executions (one per application: at creation, on
 * schedule, on StartAssociationsOnce, for nodes that join) with one target row per node, and the
 * current state of the association on each node it targets.
 */
export interface AssociationTables {
  associations: {
    association_id: string;
    account_id: string;
    region: string;
    version: number;
    /** The document's name (or ARN, as given). */
    name: string;
    association_name: string | null;
    /** JSON AssociationSpec: every setting of the current version. */
    spec: string;
    checksum: string;
    created_at: number;
    updated_at: number;
    /** When the schedule next applies the association; null: not on a schedule (or none left). */
    next_run_at: number | null;
    last_execution_at: number | null;
    last_success_at: number | null;
  };
  association_versions: {
    association_id: string;
    version: number;
    name: string;
    association_name: string | null;
    spec: string;
    created_at: number;
  };
  association_executions: {
    execution_id: string;
    association_id: string;
    account_id: string;
    region: string;
    version: number;
    status: string;
    detailed_status: string;
    /** What started it: Create, Update, Schedule, Manual (StartAssociationsOnce), NewTargets, Agent. */
    trigger: string;
    created_at: number;
    finished_at: number | null;
  };
  association_targets: {
    execution_id: string;
    association_id: string;
    instance_id: string;
    /** Waiting (held back by MaxConcurrency), Pending, InProgress, Success, Failed, TimedOut, Skipped. */
    status: string;
    detailed_status: string;
    released_at: number | null;
    updated_at: number;
    /** The node's ExecutionSummary (its output, in short) and ErrorCode. */
    summary: string | null;
    error_code: string | null;
    output_url: string | null;
  };
  association_instances: {
    association_id: string;
    instance_id: string;
    account_id: string;
    region: string;
    /** The execution this node takes part in now (or took part in last). */
    execution_id: string | null;
    /** 1 while the node is asked to apply the association (released, not reported terminal yet). */
    pending: number;
    /** The node's last reported status (Success, Failed, ...); null before its first run. */
    status: string | null;
    detailed_status: string | null;
    execution_date: number | null;
    execution_summary: string | null;
    error_code: string | null;
    output_url: string | null;
    reported_version: string | null;
    last_execution_at: number | null;
    last_success_at: number | null;
    added_at: number;
  };
}

export const associationDb = (db: AnyDb) => db as unknown as Kysely<AssociationTables>;

export const associationMigrations = (): Record<string, Migration> => ({
  "associations-001-tables": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("associations")
        .addColumn("association_id", "varchar(36)", (c) => c.primaryKey())
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("name", "varchar(2048)", (c) => c.notNull())
        .addColumn("association_name", "varchar(128)")
        .addColumn("spec", "text", (c) => c.notNull())
        .addColumn("checksum", "varchar(64)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("next_run_at", "bigint")
        .addColumn("last_execution_at", "bigint")
        .addColumn("last_success_at", "bigint")
        .execute();
      await db.schema.createIndex("associations_scope").on("associations").columns(["account_id", "region", "association_id"]).execute();
      await db.schema.createIndex("associations_due").on("associations").columns(["next_run_at"]).execute();
      await db.schema
        .createTable("association_versions")
        .addColumn("association_id", "varchar(36)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("name", "varchar(2048)", (c) => c.notNull())
        .addColumn("association_name", "varchar(128)")
        .addColumn("spec", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("association_versions_pk", ["association_id", "version"])
        .execute();
      await db.schema
        .createTable("association_executions")
        .addColumn("execution_id", "varchar(36)", (c) => c.primaryKey())
        .addColumn("association_id", "varchar(36)", (c) => c.notNull())
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("version", "integer", (c) => c.notNull())
        .addColumn("status", "varchar(32)", (c) => c.notNull())
        .addColumn("detailed_status", "varchar(64)", (c) => c.notNull())
        .addColumn("trigger", "varchar(32)", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("finished_at", "bigint")
        .execute();
      await db.schema.createIndex("association_executions_assoc").on("association_executions").columns(["association_id", "created_at"]).execute();
      await db.schema.createIndex("association_executions_open").on("association_executions").columns(["finished_at"]).execute();
      await db.schema
        .createTable("association_targets")
        .addColumn("execution_id", "varchar(36)", (c) => c.notNull())
        .addColumn("association_id", "varchar(36)", (c) => c.notNull())
        .addColumn("instance_id", "varchar(32)", (c) => c.notNull())
        .addColumn("status", "varchar(32)", (c) => c.notNull())
        .addColumn("detailed_status", "varchar(64)", (c) => c.notNull())
        .addColumn("released_at", "bigint")
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("summary", "text")
        .addColumn("error_code", "varchar(64)")
        .addColumn("output_url", "varchar(2048)")
        .addPrimaryKeyConstraint("association_targets_pk", ["execution_id", "instance_id"])
        .execute();
      await db.schema
        .createTable("association_instances")
        .addColumn("association_id", "varchar(36)", (c) => c.notNull())
        .addColumn("instance_id", "varchar(32)", (c) => c.notNull())
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("execution_id", "varchar(36)")
        .addColumn("pending", "integer", (c) => c.notNull())
        .addColumn("status", "varchar(32)")
        .addColumn("detailed_status", "varchar(64)")
        .addColumn("execution_date", "bigint")
        .addColumn("execution_summary", "text")
        .addColumn("error_code", "varchar(64)")
        .addColumn("output_url", "varchar(2048)")
        .addColumn("reported_version", "varchar(16)")
        .addColumn("last_execution_at", "bigint")
        .addColumn("last_success_at", "bigint")
        .addColumn("added_at", "bigint", (c) => c.notNull())
        .addPrimaryKeyConstraint("association_instances_pk", ["association_id", "instance_id"])
        .execute();
      await db.schema.createIndex("association_instances_node").on("association_instances").columns(["account_id", "region", "instance_id"]).execute();
    },
  },
  "associations-002-target-counts": {
    // Each report counts its execution's targets by status: from this index alone, not the rows.
    async up(db: AnyDb) {
      await db.schema.createIndex("association_targets_status").on("association_targets").columns(["execution_id", "status", "detailed_status"]).execute();
    },
  },
});

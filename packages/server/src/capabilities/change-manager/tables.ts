import type { Kysely, Migration } from "kysely";
import { type AnyDb, type Engine, tables } from "../../storage/database.js";

/**
 * Change Manager's own rows: the review history of change template versions, and one row per change
 * request recording what its OpsItem's timeline already shows (so each fact is written there once).
 */
export interface ChangeManagerTables {
  /** One row per review action (SendForReview, UpdateReview, Approve, Reject) on one template version. */
  change_template_reviews: {
    account_id: string;
    region: string;
    name: string;
    version: number;
    /** Sha256 of the version's content: a deleted and re-created template starts unreviewed. */
    hash: string;
    seq: number;
    action: string;
    /** The version's review status after this action (APPROVED, PENDING, REJECTED, NOT_REVIEWED). */
    status: string;
    reviewer_arn: string;
    reviewer_name: string;
    comment: string | null;
    created_at: number;
  };
  change_requests: {
    execution_id: string;
    account_id: string;
    region: string;
    ops_item_id: string;
    requester_arn: string;
    /** JSON string[]: the facts (status changes, approvals, calendar checks) already on the OpsItem. */
    recorded: string;
    /** The execution's status and current step when the OpsItem was last brought up to date. */
    seen: string;
    /** ClientToken of the request and a hash of what it asked, for idempotent retries. */
    client_token: string | null;
    request_hash: string;
    /** 1 once the change request ended and its outcome is recorded. */
    done: number;
    created_at: number;
  };
}

export type ReviewRow = ChangeManagerTables["change_template_reviews"];
export type ChangeRequestRow = ChangeManagerTables["change_requests"];

export const changeDb = (db: AnyDb): Kysely<ChangeManagerTables> => tables<ChangeManagerTables>(db);

export function changeManagerMigrations(_engine: Engine): Record<string, Migration> {
  const nameType = "varchar(128)";
  return {
    "change-manager-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("change_template_reviews")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name", nameType, (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("hash", "varchar(64)", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("action", "varchar(16)", (c) => c.notNull())
          .addColumn("status", "varchar(16)", (c) => c.notNull())
          .addColumn("reviewer_arn", "varchar(512)", (c) => c.notNull())
          .addColumn("reviewer_name", "varchar(128)", (c) => c.notNull())
          .addColumn("comment", "text")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("change_template_reviews_pk", ["account_id", "region", "name", "version", "seq"])
          .execute();
        await db.schema
          .createTable("change_requests")
          .addColumn("execution_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("ops_item_id", "varchar(64)", (c) => c.notNull())
          .addColumn("requester_arn", "varchar(512)", (c) => c.notNull())
          .addColumn("recorded", "text", (c) => c.notNull())
          .addColumn("seen", "varchar(200)", (c) => c.notNull())
          .addColumn("client_token", "varchar(36)")
          .addColumn("request_hash", "varchar(64)", (c) => c.notNull())
          .addColumn("done", "integer", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("change_requests_token").on("change_requests").columns(["account_id", "region", "client_token"]).execute();
        await db.schema.createIndex("change_requests_open").on("change_requests").columns(["done", "created_at"]).execute();
      },
    },
  };
}

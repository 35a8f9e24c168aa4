import type { Migration } from "kysely";
import { type AnyDb, tables } from "../../storage/database.js";

/** Just-in-time node access requests: one row per StartAccessRequest that was accepted. */
export interface AccessRequestTables {
  access_requests: {
    /** The id of the request's /aws/accessrequest OpsItem (oi- + 12 hex), which is the AccessRequestId. */
    access_request_id: string;
    account_id: string;
    region: string;
    /** Who asked: the principal that may call GetAccessToken. */
    requester_arn: string;
    /** The one managed node the request is for. */
    target: string;
    reason: string;
    /** Pending, Approved, Rejected, Revoked or Expired (AWS's AccessRequestStatus). */
    status: string;
    /** Why it has that status, as shown in events (which policy decided). */
    decision: string;
    created_at: number;
    decided_at: number | null;
    /** When the grant ends (epoch ms): sessions may start until then. */
    grant_ends_at: number | null;
    /** The assumed-role principal whose temporary keys GetAccessToken hands out. */
    token_principal_arn: string | null;
    /** A manual request's automation execution (one aws:approve step per approval level); null when auto-approved. */
    execution_id: string | null;
    /** The approval policy that decides it (the auto-approval or a manual approval policy's name). */
    approval_policy: string | null;
    /** A manual request's access window (ms), from its policy's accessDurationHours: the grant runs this long from approval. */
    access_duration_ms: number | null;
    /** The status last written to the request's OpsItem (its decision is carried over to it after it commits). */
    ops_item_status: string | null;
  };
}

export type AccessRequestRow = AccessRequestTables["access_requests"];

export const accessDb = (db: AnyDb) => tables<AccessRequestTables>(db);

export function accessRequestMigrations(): Record<string, Migration> {
  return {
    "access-requests-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("access_requests")
          .addColumn("access_request_id", "varchar(16)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("requester_arn", "varchar(512)", (c) => c.notNull())
          .addColumn("target", "varchar(64)", (c) => c.notNull())
          .addColumn("reason", "varchar(256)", (c) => c.notNull())
          .addColumn("status", "varchar(16)", (c) => c.notNull())
          .addColumn("decision", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("decided_at", "bigint")
          .addColumn("grant_ends_at", "bigint")
          .addColumn("token_principal_arn", "varchar(512)")
          .execute();
        await db.schema.createIndex("access_requests_grant_ends").on("access_requests").columns(["status", "grant_ends_at"]).execute();
      },
    },
    "access-requests-002-manual-approval": {
      async up(db: AnyDb) {
        await db.schema.alterTable("access_requests").addColumn("execution_id", "varchar(64)").execute();
        await db.schema.alterTable("access_requests").addColumn("approval_policy", "varchar(128)").execute();
        await db.schema.alterTable("access_requests").addColumn("access_duration_ms", "bigint").execute();
        await db.schema.alterTable("access_requests").addColumn("ops_item_status", "varchar(32)").execute();
        await db.schema.createIndex("access_requests_execution").on("access_requests").column("execution_id").execute();
      },
    },
  };
}

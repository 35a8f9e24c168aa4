import { type Migration, sql } from "kysely";
import type { AnyDb } from "../storage/database.js";

export interface IamTables {
  iam_accounts: { account_id: string; name: string; created_at: number };
  iam_principals: {
    arn: string;
    account_id: string;
    kind: "user" | "role" | "node";
    name: string;
    principal_id: string;
    path: string;
    tags: string; // JSON object
    created_at: number;
    /** A role's trust policy (AssumeRolePolicyDocument), JSON; null for users and roles created without one. */
    trust_policy?: string | null;
  };
  iam_policies: { principal_arn: string; policy_name: string; document: string; updated_at: number };
  iam_access_keys: {
    access_key_id: string;
    principal_arn: string;
    secret_sealed: Buffer;
    /** sha256 hex of the session token, for temporary credentials */
    session_token_hash: string | null;
    expires_at: number | null;
    status: "Active" | "Inactive";
    created_at: number;
  };
  server_settings: { name: string; value: string };
}

const blob = (engine: string) => (engine === "postgres" ? "bytea" : "blob");

export function iamMigrations(engine: string): Record<string, Migration> {
  return {
    "iam-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("server_settings")
          .addColumn("name", "varchar(200)", (c) => c.primaryKey())
          .addColumn("value", "text", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("iam_accounts")
          .addColumn("account_id", "varchar(12)", (c) => c.primaryKey())
          .addColumn("name", "varchar(200)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("iam_principals")
          .addColumn("arn", "varchar(512)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("kind", "varchar(16)", (c) => c.notNull())
          .addColumn("name", "varchar(128)", (c) => c.notNull())
          .addColumn("principal_id", "varchar(64)", (c) => c.notNull())
          .addColumn("path", "varchar(512)", (c) => c.notNull())
          .addColumn("tags", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("iam_policies")
          .addColumn("principal_arn", "varchar(512)", (c) => c.notNull())
          .addColumn("policy_name", "varchar(128)", (c) => c.notNull())
          .addColumn("document", "text", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("iam_policies_pk", ["principal_arn", "policy_name"])
          .execute();
        await db.schema
          .createTable("iam_access_keys")
          .addColumn("access_key_id", "varchar(128)", (c) => c.primaryKey())
          .addColumn("principal_arn", "varchar(512)", (c) => c.notNull())
          .addColumn("secret_sealed", sql.raw(blob(engine)), (c) => c.notNull())
          .addColumn("session_token_hash", "varchar(64)")
          .addColumn("expires_at", "bigint")
          .addColumn("status", "varchar(16)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("iam_access_keys_principal").on("iam_access_keys").column("principal_arn").execute();
      },
    },
    "iam-002-role-trust-policy": {
      async up(db: AnyDb) {
        await db.schema.alterTable("iam_principals").addColumn("trust_policy", "text").execute();
      },
    },
  };
}

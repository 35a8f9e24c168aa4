import { type Migration, sql } from "kysely";
import type { AnyDb, Engine } from "../../storage/database.js";

/**
 * Parameter Store tables, keyed by account, region and the parameter's identity key (`name_key`):
 * the name with one leading slash (`foo` and `/foo` are the same root parameter, as AWS treats them).
 * SecureString values are stored only as KMS ciphertext.
 */
export interface ParameterTables {
  /** One row per parameter: the latest version's metadata, for lookups, listing and filters. */
  parameters: {
    account_id: string;
    region: string;
    name_key: string;
    /** The name as the caller wrote it when creating the parameter. */
    name: string;
    /** The hierarchy the parameter sits in ("/" for root parameters), for OneLevel queries. */
    parent_path: string;
    type: string;
    data_type: string;
    description: string | null;
    allowed_pattern: string | null;
    /** The KMS key as the caller named it (alias/aws/ssm by default); SecureString only. */
    key_id: string | null;
    key_arn: string | null;
    tier: string;
    /** JSON array of StoredPolicy, or null. */
    policies: string | null;
    version: number;
    last_modified_date: number;
    last_modified_user: string;
    /** Epoch ms when a policy next needs the scheduler's attention; null when none. */
    next_policy_at: number | null;
  };
  /** Every retained version (at most 100) with its value. */
  parameter_versions: {
    account_id: string;
    region: string;
    name_key: string;
    version: number;
    name: string;
    type: string;
    data_type: string;
    description: string | null;
    allowed_pattern: string | null;
    key_id: string | null;
    key_arn: string | null;
    tier: string;
    policies: string | null;
    /** Plain value of String and StringList versions. */
    value: string | null;
    /** KMS ciphertext of SecureString versions. */
    ciphertext: Buffer | null;
    last_modified_date: number;
    last_modified_user: string;
  };
  /** A label names one version of one parameter. */
  parameter_labels: {
    account_id: string;
    region: string;
    name_key: string;
    label: string;
    version: number;
  };
}

export function parameterMigrations(engine: Engine): Record<string, Migration> {
  const binary = engine === "postgres" ? "bytea" : "blob";
  // Byte order for names on both engines, so listings and page tokens agree.
  const nameType = engine === "postgres" ? sql`varchar(2048) collate "C"` : sql`varchar(2048)`;
  return {
    "parameters-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("parameters")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name_key", nameType, (c) => c.notNull())
          .addColumn("name", "varchar(2048)", (c) => c.notNull())
          .addColumn("parent_path", nameType, (c) => c.notNull())
          .addColumn("type", "varchar(16)", (c) => c.notNull())
          .addColumn("data_type", "varchar(128)", (c) => c.notNull())
          .addColumn("description", "text")
          .addColumn("allowed_pattern", "text")
          .addColumn("key_id", "varchar(256)")
          .addColumn("key_arn", "varchar(256)")
          .addColumn("tier", "varchar(32)", (c) => c.notNull())
          .addColumn("policies", "text")
          .addColumn("version", "bigint", (c) => c.notNull())
          .addColumn("last_modified_date", "bigint", (c) => c.notNull())
          .addColumn("last_modified_user", "varchar(512)", (c) => c.notNull())
          .addColumn("next_policy_at", "bigint")
          .addPrimaryKeyConstraint("parameters_pk", ["account_id", "region", "name_key"])
          .execute();
        await db.schema.createIndex("parameters_by_parent").on("parameters").columns(["account_id", "region", "parent_path", "name_key"]).execute();
        await db.schema.createIndex("parameters_by_tier").on("parameters").columns(["account_id", "region", "tier"]).execute();
        await db.schema.createIndex("parameters_by_policy_due").on("parameters").columns(["next_policy_at"]).execute();
        await db.schema
          .createTable("parameter_versions")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name_key", nameType, (c) => c.notNull())
          .addColumn("version", "bigint", (c) => c.notNull())
          .addColumn("name", "varchar(2048)", (c) => c.notNull())
          .addColumn("type", "varchar(16)", (c) => c.notNull())
          .addColumn("data_type", "varchar(128)", (c) => c.notNull())
          .addColumn("description", "text")
          .addColumn("allowed_pattern", "text")
          .addColumn("key_id", "varchar(256)")
          .addColumn("key_arn", "varchar(256)")
          .addColumn("tier", "varchar(32)", (c) => c.notNull())
          .addColumn("policies", "text")
          .addColumn("value", "text")
          .addColumn("ciphertext", binary)
          .addColumn("last_modified_date", "bigint", (c) => c.notNull())
          .addColumn("last_modified_user", "varchar(512)", (c) => c.notNull())
          .addPrimaryKeyConstraint("parameter_versions_pk", ["account_id", "region", "name_key", "version"])
          .execute();
        await db.schema
          .createTable("parameter_labels")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name_key", nameType, (c) => c.notNull())
          .addColumn("label", "varchar(100)", (c) => c.notNull())
          .addColumn("version", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("parameter_labels_pk", ["account_id", "region", "name_key", "label"])
          .execute();
      },
    },
  };
}

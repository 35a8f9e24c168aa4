import type { Migration } from "kysely";
import type { AnyDb, Engine } from "../../storage/database.js";

/** KMS keys and aliases, keyed by account and region. Key material is stored sealed under the master key. */
export interface KmsTables {
  kms_keys: {
    account_id: string;
    region: string;
    key_id: string;
    description: string;
    key_usage: string;
    key_spec: string;
    /** CUSTOMER or AWS */
    key_manager: string;
    /** Enabled, Disabled or PendingDeletion */
    key_state: string;
    creation_date: number;
    deletion_date: number | null;
    pending_window_days: number | null;
    /** 32 bytes of AES-256 material, sealed (crypto/seal.ts) with the key ARN as AAD */
    sealed_material: Buffer;
  };
  kms_aliases: {
    account_id: string;
    region: string;
    alias_name: string;
    key_id: string;
    creation_date: number;
    last_updated_date: number;
  };
}

export function kmsMigrations(engine: Engine): Record<string, Migration> {
  const binary = engine === "postgres" ? "bytea" : "blob";
  return {
    "kms-001-keys-and-aliases": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("kms_keys")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("key_id", "varchar(36)", (c) => c.notNull())
          .addColumn("description", "text", (c) => c.notNull())
          .addColumn("key_usage", "varchar(32)", (c) => c.notNull())
          .addColumn("key_spec", "varchar(32)", (c) => c.notNull())
          .addColumn("key_manager", "varchar(16)", (c) => c.notNull())
          .addColumn("key_state", "varchar(32)", (c) => c.notNull())
          .addColumn("creation_date", "bigint", (c) => c.notNull())
          .addColumn("deletion_date", "bigint")
          .addColumn("pending_window_days", "integer")
          .addColumn("sealed_material", binary, (c) => c.notNull())
          .addPrimaryKeyConstraint("kms_keys_pk", ["account_id", "region", "key_id"])
          .execute();
        await db.schema.createIndex("kms_keys_by_deletion").on("kms_keys").columns(["key_state", "deletion_date"]).execute();
        await db.schema
          .createTable("kms_aliases")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("alias_name", "varchar(256)", (c) => c.notNull())
          .addColumn("key_id", "varchar(36)", (c) => c.notNull())
          .addColumn("creation_date", "bigint", (c) => c.notNull())
          .addColumn("last_updated_date", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("kms_aliases_pk", ["account_id", "region", "alias_name"])
          .execute();
        await db.schema.createIndex("kms_aliases_by_key").on("kms_aliases").columns(["account_id", "region", "key_id"]).execute();
      },
    },
  };
}

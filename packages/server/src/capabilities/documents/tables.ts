import { type Migration, sql } from "kysely";
import type { AnyDb, Engine } from "../../storage/database.js";

/** Document tables, keyed by account, region and document name. The built-in catalog is not stored: it is loaded from files. */
export interface DocumentTables {
  /** One row per document: its version counters. */
  documents: {
    account_id: string;
    region: string;
    name: string;
    document_type: string;
    created_at: number;
    /** The highest version number handed out so far (numbers are never reused, even after a version is deleted). */
    version_counter: number;
    latest_version: number;
    default_version: number;
  };
  /** Every version with its content as the caller sent it and what validation derived from it. */
  document_versions: {
    account_id: string;
    region: string;
    name: string;
    version: number;
    version_name: string | null;
    content: string;
    format: string;
    /** Sha256 of the content, hex. */
    hash: string;
    schema_version: string;
    description: string | null;
    display_name: string | null;
    target_type: string | null;
    /** JSON: Record<string, DocumentParameterDeclaration>. */
    parameters: string;
    /** JSON: string[]. */
    platform_types: string;
    /** JSON: DocumentRequires[] or null. */
    requires: string | null;
    /** JSON: AttachmentsSource[] or null. */
    attachments: string | null;
    created_at: number;
  };
  /** Sharing: one row per account a document is shared with (`all` for public). */
  document_permissions: {
    account_id: string;
    region: string;
    name: string;
    shared_with: string;
    shared_version: string;
    created_at: number;
  };
}

export function documentMigrations(engine: Engine): Record<string, Migration> {
  const nameType = engine === "postgres" ? sql`varchar(128) collate "C"` : sql`varchar(128)`;
  return {
    "documents-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("documents")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name", nameType, (c) => c.notNull())
          .addColumn("document_type", "varchar(64)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("version_counter", "integer", (c) => c.notNull())
          .addColumn("latest_version", "integer", (c) => c.notNull())
          .addColumn("default_version", "integer", (c) => c.notNull())
          .addPrimaryKeyConstraint("documents_pk", ["account_id", "region", "name"])
          .execute();
        await db.schema
          .createTable("document_versions")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name", nameType, (c) => c.notNull())
          .addColumn("version", "integer", (c) => c.notNull())
          .addColumn("version_name", "varchar(128)")
          .addColumn("content", "text", (c) => c.notNull())
          .addColumn("format", "varchar(8)", (c) => c.notNull())
          .addColumn("hash", "varchar(64)", (c) => c.notNull())
          .addColumn("schema_version", "varchar(16)", (c) => c.notNull())
          .addColumn("description", "text")
          .addColumn("display_name", "varchar(1024)")
          .addColumn("target_type", "varchar(200)")
          .addColumn("parameters", "text", (c) => c.notNull())
          .addColumn("platform_types", "text", (c) => c.notNull())
          .addColumn("requires", "text")
          .addColumn("attachments", "text")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("document_versions_pk", ["account_id", "region", "name", "version"])
          .execute();
        await db.schema
          .createIndex("document_versions_by_version_name")
          .unique()
          .on("document_versions")
          .columns(["account_id", "region", "name", "version_name"])
          .execute();
        await db.schema.createIndex("document_versions_by_hash").on("document_versions").columns(["account_id", "region", "name", "hash"]).execute();
        await db.schema
          .createTable("document_permissions")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name", nameType, (c) => c.notNull())
          .addColumn("shared_with", "varchar(12)", (c) => c.notNull())
          .addColumn("shared_version", "varchar(8)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("document_permissions_pk", ["account_id", "region", "name", "shared_with"])
          .execute();
        await db.schema.createIndex("document_permissions_by_grantee").on("document_permissions").columns(["shared_with", "region"]).execute();
      },
    },
  };
}

import type { Kysely, Transaction } from "kysely";
import type { AnyDb } from "../../storage/database.js";
import { tables } from "../../storage/database.js";
import type { DocumentTables } from "./tables.js";
import { inScope, type Scope } from "../../storage/scope.js";

export type { Scope } from "../../storage/scope.js";

export type DocumentRow = DocumentTables["documents"];
export type VersionRow = DocumentTables["document_versions"];
export type PermissionRow = DocumentTables["document_permissions"];
type Db = Kysely<DocumentTables> | Transaction<DocumentTables>;

export const docs = (db: AnyDb): Kysely<DocumentTables> => tables<DocumentTables>(db);

export async function getDocumentRow(db: Db, scope: Scope, name: string): Promise<DocumentRow | undefined> {
  return db.selectFrom("documents").selectAll().where(inScope(scope)).where("name", "=", name).executeTakeFirst();
}

export async function getVersionRow(db: Db, scope: Scope, name: string, version: number): Promise<VersionRow | undefined> {
  return db.selectFrom("document_versions").selectAll().where(inScope(scope)).where("name", "=", name).where("version", "=", version).executeTakeFirst();
}

export async function getVersionByName(db: Db, scope: Scope, name: string, versionName: string): Promise<VersionRow | undefined> {
  return db
    .selectFrom("document_versions")
    .selectAll()
    .where(inScope(scope))
    .where("name", "=", name)
    .where("version_name", "=", versionName)
    .executeTakeFirst();
}

export async function getVersionByHash(db: Db, scope: Scope, name: string, hash: string): Promise<VersionRow | undefined> {
  return db
    .selectFrom("document_versions")
    .selectAll()
    .where(inScope(scope))
    .where("name", "=", name)
    .where("hash", "=", hash)
    .orderBy("version", "desc")
    .executeTakeFirst();
}

export async function listVersionRows(db: Db, scope: Scope, name: string): Promise<VersionRow[]> {
  return db.selectFrom("document_versions").selectAll().where(inScope(scope)).where("name", "=", name).orderBy("version", "desc").execute();
}

export async function countVersions(db: Db, scope: Scope, name: string): Promise<number> {
  const row = await db
    .selectFrom("document_versions")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where(inScope(scope))
    .where("name", "=", name)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function countDocuments(db: Db, scope: Scope): Promise<number> {
  const row = await db
    .selectFrom("documents")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where(inScope(scope))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The account's documents, each with the row of its default version without its content (for listings). */
export async function listDocumentsWithDefault(db: Db, scope: Scope, names?: string[]): Promise<{ doc: DocumentRow; version: VersionRow }[]> {
  if (names && names.length === 0) return [];
  let q = db
    .selectFrom("documents as d")
    .innerJoin("document_versions as v", (j) =>
      j
        .onRef("v.account_id", "=", "d.account_id")
        .onRef("v.region", "=", "d.region")
        .onRef("v.name", "=", "d.name")
        .onRef("v.version", "=", "d.default_version"),
    )
    .select([
      "v.account_id",
      "v.region",
      "v.name",
      "v.version",
      "v.version_name",
      "v.format",
      "v.hash",
      "v.schema_version",
      "v.description",
      "v.display_name",
      "v.target_type",
      "v.parameters",
      "v.platform_types",
      "v.requires",
      "v.attachments",
      "v.created_at",
    ])
    .select(["d.document_type", "d.created_at as doc_created_at", "d.version_counter", "d.latest_version", "d.default_version"])
    .where(inScope(scope, "d"));
  if (names) q = q.where("d.name", "in", names);
  const rows = await q.execute();
  return rows.map((r) => {
    const { document_type, doc_created_at, version_counter, latest_version, default_version, ...version } = r;
    return {
      doc: {
        account_id: r.account_id,
        region: r.region,
        name: r.name,
        document_type,
        created_at: Number(doc_created_at),
        version_counter,
        latest_version,
        default_version,
      },
      // Listings need no content: it is left out of the query (up to 64 KB per document).
      version: { ...version, content: "", created_at: Number(version.created_at) },
    };
  });
}

export async function listPermissions(db: Db, scope: Scope, name: string): Promise<PermissionRow[]> {
  return db.selectFrom("document_permissions").selectAll().where(inScope(scope)).where("name", "=", name).orderBy("shared_with").execute();
}

/** The permission that lets `grantee` (an account id) use the document: its own grant, or the public one. */
export async function permissionFor(db: Db, owner: Scope, name: string, grantee: string): Promise<PermissionRow | undefined> {
  const rows = await db
    .selectFrom("document_permissions")
    .selectAll()
    .where(inScope(owner))
    .where("name", "=", name)
    .where("shared_with", "in", [grantee, "all"])
    .execute();
  return rows.find((r) => r.shared_with === grantee) ?? rows[0];
}

/** Documents of other accounts shared with `grantee` directly, or (publicOnes) with everyone. */
export async function listGrants(db: Db, region: string, grantee: string, opts: { direct: boolean; public: boolean }): Promise<PermissionRow[]> {
  const who = [...(opts.direct ? [grantee] : []), ...(opts.public ? ["all"] : [])];
  if (who.length === 0) return [];
  return db.selectFrom("document_permissions").selectAll().where("region", "=", region).where("shared_with", "in", who).execute();
}

export async function deleteDocumentRows(db: Db, scope: Scope, name: string): Promise<void> {
  for (const table of ["document_permissions", "document_versions", "documents"] as const) {
    await db.deleteFrom(table).where(inScope(scope)).where("name", "=", name).execute();
  }
}

/** A new document with its first version (run it in the caller's transaction, with the document's tags). */
export async function insertNewDocument(
  db: AnyDb,
  scope: Scope,
  name: string,
  documentType: string,
  first: Omit<VersionRow, "account_id" | "region" | "name" | "version" | "created_at">,
  now: number,
): Promise<void> {
  const d = docs(db);
  const key = { account_id: scope.accountId, region: scope.region, name };
  await d
    .insertInto("documents")
    .values({ ...key, document_type: documentType, created_at: now, version_counter: 1, latest_version: 1, default_version: 1 })
    .execute();
  await d
    .insertInto("document_versions")
    .values({ ...first, ...key, version: 1, created_at: now })
    .execute();
}

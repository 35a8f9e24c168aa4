import { ApiError } from "../../errors.js";
import type { Capability, RequestContext } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { ownDocument } from "./access.js";
import { parseContent } from "./content.js";
import { findDocumentByHash, findDocumentForExecution } from "./lookup.js";
import { createDocument } from "./ops-create.js";
import { deleteDocument } from "./ops-delete.js";
import { listDocuments } from "./ops-list.js";
import { describeDocumentPermission, modifyDocumentPermission } from "./ops-permissions.js";
import { describeDocument, getDocument, listDocumentVersions } from "./ops-read.js";
import { updateDocument, updateDocumentDefaultVersion } from "./ops-update.js";
import { documentArn } from "./names.js";
import { resolveDocumentParameters } from "./resolve-parameters.js";
import { docs } from "./store.js";
import { documentMigrations } from "./tables.js";
import { MAX_TAGS } from "./limits.js";
import { TAG_TYPE } from "./tag-type.js";
import type { DocumentFormat, ResolvedDocument } from "./types.js";

export type { DocumentParameterDeclaration, DocumentFormat, ParameterType, ResolvedDocument } from "./types.js";
export { substituteParameters } from "./substitute.js";
export { toApiParameterValues } from "./resolve-parameters.js";
export { addDocumentDeletionGuard, type DeletionGuard } from "./ops-delete.js";
export { addDocumentContentCheck, type DocumentContentCheck } from "./prepare.js";
export { addDescriptionExtension, type DescribedVersion, type DescriptionExtension } from "./ops-read.js";

/** SSM documents: create, validate, version, share, and the built-in catalog. */
export const documentsCapability: Capability = {
  name: "documents",
  migrations: documentMigrations,
  operations: [
    createDocument,
    getDocument,
    describeDocument,
    updateDocument,
    updateDocumentDefaultVersion,
    listDocuments,
    listDocumentVersions,
    deleteDocument,
    describeDocumentPermission,
    modifyDocumentPermission,
  ],
  start(services) {
    services.taggable.set(TAG_TYPE, {
      maxTags: MAX_TAGS,
      async resolve(ctx, resourceId) {
        const handle = await ownDocument(ctx, resourceId);
        if (!handle) {
          throw new ApiError(
            "InvalidResourceId",
            `Document ${resourceId} does not exist in this account and region (AWS-owned and shared documents can't be tagged). Give the name of one of your documents.`,
          );
        }
        return { id: handle.name, arn: handle.arn };
      },
    });
  },
};

/**
 * Finds a document the caller may use: own, shared with the caller's account, public, or built-in;
 * by name or ARN; version number, "$LATEST", "$DEFAULT" (the default when undefined). Throws
 * InvalidDocument / InvalidDocumentVersion. Checks nothing about authorization (callers do).
 */
export function getDocumentForExecution(ctx: RequestContext, nameOrArn: string, version?: string): Promise<ResolvedDocument> {
  return findDocumentForExecution(ctx, nameOrArn, version);
}

/** The version of a document whose content has this Sha256 (SendCommand's DocumentHash / DocumentHashType Sha256). */
export function getDocumentByHash(ctx: RequestContext, nameOrArn: string, hash: string): Promise<ResolvedDocument> {
  return findDocumentByHash(ctx, nameOrArn, hash);
}

/**
 * Validates caller parameters against the document's declaration (InvalidParameters naming the
 * parameter), fills defaults and resolves `{{ssm:...}}` references through Parameter Store with the
 * caller's permissions (SecureString refused: `{{ssm-secure:...}}` stays for the agent). `given` is
 * the API's Record<string, string[]> (SendCommand, StartSession, StartAutomationExecution) or typed
 * values. Returns the values as the agent substitutes them: String → string, StringList → string[],
 * Integer → number, Boolean → boolean, StringMap → object, MapList → object[]
 * (toApiParameterValues turns them back into Record<string, string[]>).
 */
export function resolveParameters(ctx: RequestContext, doc: ResolvedDocument, given: Record<string, unknown> | undefined): Promise<Record<string, unknown>> {
  return resolveDocumentParameters(ctx, doc, given);
}

/** A stored document's default version, as `listDocumentsOfType` finds it (its content read on demand). */
export interface StoredDocumentVersion {
  accountId: string;
  region: string;
  name: string;
  arn: string;
  version: number;
  /** Sha256 of the version's content, hex: changes when the default version or its content does. */
  hash: string;
  format: DocumentFormat;
  /** When this version was created (epoch ms). */
  createdAt: number;
  /** The version's content as written, and parsed (JSON/YAML; TEXT stays as `raw` only). */
  load(): Promise<{ raw: string; content: Record<string, any> }>;
}

/**
 * Every account's and region's own documents of one type (ChangeCalendar, ...) with their default
 * versions, for scheduled work that watches them (or one account's and region's, with `scope`);
 * read-only, built-ins and shares not included.
 */
export async function listDocumentsOfType(db: AnyDb, documentType: string, scope?: Scope): Promise<StoredDocumentVersion[]> {
  const d = docs(db);
  const rows = await d
    .selectFrom("documents as d")
    .innerJoin("document_versions as v", (j) =>
      j
        .onRef("v.account_id", "=", "d.account_id")
        .onRef("v.region", "=", "d.region")
        .onRef("v.name", "=", "d.name")
        .onRef("v.version", "=", "d.default_version"),
    )
    .select(["d.account_id", "d.region", "d.name", "v.version", "v.hash", "v.format", "v.created_at"])
    .where("d.document_type", "=", documentType)
    .$if(scope !== undefined, (q) => q.where(inScope(scope as Scope, "d")))
    .orderBy("d.account_id")
    .orderBy("d.region")
    .orderBy("d.name")
    .execute();
  return rows.map((r) => {
    const scope = { accountId: r.account_id, region: r.region };
    const format = r.format as DocumentFormat;
    return {
      accountId: r.account_id,
      region: r.region,
      name: r.name,
      arn: documentArn(r.region, r.account_id, r.name),
      version: r.version,
      hash: r.hash,
      format,
      createdAt: Number(r.created_at),
      async load() {
        const v = await d
          .selectFrom("document_versions")
          .select("content")
          .where(inScope(scope))
          .where("name", "=", r.name)
          .where("version", "=", r.version)
          .executeTakeFirstOrThrow();
        return { raw: v.content, content: parseContent(v.content, format) };
      },
    };
  });
}

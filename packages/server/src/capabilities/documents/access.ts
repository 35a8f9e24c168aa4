import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { type BuiltinDocument, builtinDocument } from "./builtin/catalog.js";
import { documentArn, parseDocumentRef } from "./names.js";
import { type DocumentRow, docs, getDocumentRow, getVersionByName, getVersionRow, permissionFor, type Scope, type VersionRow } from "./store.js";
import type { DocumentFormat, DocumentParameterDeclaration } from "./types.js";

/** A document the caller may see: one of the account's own, one shared with it (or public), or a built-in. */
export interface DocumentHandle {
  kind: "own" | "shared" | "builtin";
  name: string;
  arn: string;
  /** "Amazon" for the catalog, otherwise the owning account id. */
  owner: string;
  /** The owner's account and region (for built-ins: the caller's). */
  scope: Scope;
  documentType: string;
  createdAt: number;
  latestVersion: number;
  defaultVersion: number;
  row?: DocumentRow;
  builtin?: BuiltinDocument;
  /** Shared documents: which versions the owner shared ($DEFAULT, $LATEST or $ALL). */
  sharedVersion?: string;
}

/** One version of a document with everything the API and the runners show about it. */
export interface VersionView {
  handle: DocumentHandle;
  version: number;
  versionName?: string;
  raw: string;
  format: DocumentFormat;
  hash: string;
  schemaVersion: string;
  description?: string;
  displayName?: string;
  targetType?: string;
  parameters: Record<string, DocumentParameterDeclaration>;
  platformTypes: string[];
  requires?: { Name: string; Version?: string; RequireType?: string; VersionName?: string }[];
  attachments?: { Key?: string; Values?: string[]; Name?: string }[];
  createdAt: number;
}

export function notFound(nameOrArn: string): ApiError {
  return new ApiError(
    "InvalidDocument",
    `Document ${nameOrArn} does not exist: it is not one of this account's documents in this region, not shared with this account, and not a built-in document. Check the name (documents shared by another account are named by their ARN).`,
  );
}

/** The handle of a built-in document as the caller sees it (per-account ones belong to the caller's account). */
export function builtinHandle(ctx: RequestContext, b: BuiltinDocument): DocumentHandle {
  const account = b.perAccount ? ctx.accountId : "";
  return {
    kind: "builtin",
    name: b.name,
    arn: documentArn(ctx.region, account, b.name),
    owner: b.perAccount ? ctx.accountId : "Amazon",
    scope: { accountId: ctx.accountId, region: ctx.region },
    documentType: b.documentType,
    createdAt: b.createdAt,
    latestVersion: 1,
    defaultVersion: 1,
    builtin: b,
  };
}

export function rowHandle(row: DocumentRow, kind: "own" | "shared", sharedVersion?: string): DocumentHandle {
  return {
    kind,
    name: row.name,
    arn: documentArn(row.region, row.account_id, row.name),
    owner: row.account_id,
    scope: { accountId: row.account_id, region: row.region },
    documentType: row.document_type,
    createdAt: Number(row.created_at),
    latestVersion: row.latest_version,
    defaultVersion: row.default_version,
    row,
    sharedVersion,
  };
}

/** The caller's own document of that name, if any (no built-ins). */
export async function ownDocument(ctx: RequestContext, name: string): Promise<DocumentHandle | undefined> {
  const row = await getDocumentRow(docs(ctx.services.db), { accountId: ctx.accountId, region: ctx.region }, name);
  return row ? rowHandle(row, "own") : undefined;
}

/** Finds a document by name or ARN among those the caller may use; throws InvalidDocument. */
export async function findDocument(ctx: RequestContext, nameOrArn: string): Promise<DocumentHandle> {
  const ref = parseDocumentRef(ctx, nameOrArn);
  const db = docs(ctx.services.db);
  if (ref.account === undefined || ref.account === ctx.accountId) {
    const own = await ownDocument(ctx, ref.name);
    if (own) return own;
  }
  if (ref.account === undefined || ref.account === "" || ref.account === ctx.accountId) {
    const b = builtinDocument(ref.name);
    if (b && (b.perAccount ? ref.account !== "" : ref.account !== ctx.accountId)) return builtinHandle(ctx, b);
  }
  if (ref.account && ref.account !== ctx.accountId) {
    const owner = { accountId: ref.account, region: ctx.region };
    const grant = await permissionFor(db, owner, ref.name, ctx.accountId);
    const row = grant ? await getDocumentRow(db, owner, ref.name) : undefined;
    if (row && grant) return rowHandle(row, "shared", grant.shared_version);
  }
  throw notFound(nameOrArn);
}

function viewOfRow(handle: DocumentHandle, v: VersionRow): VersionView {
  return {
    handle,
    version: v.version,
    versionName: v.version_name ?? undefined,
    raw: v.content,
    format: v.format as DocumentFormat,
    hash: v.hash,
    schemaVersion: v.schema_version,
    description: v.description ?? undefined,
    displayName: v.display_name ?? undefined,
    targetType: v.target_type ?? undefined,
    parameters: JSON.parse(v.parameters),
    platformTypes: JSON.parse(v.platform_types),
    requires: v.requires ? JSON.parse(v.requires) : undefined,
    attachments: v.attachments ? JSON.parse(v.attachments) : undefined,
    createdAt: Number(v.created_at),
  };
}

export function viewOfBuiltin(handle: DocumentHandle, b: BuiltinDocument): VersionView {
  return {
    handle,
    version: 1,
    raw: b.raw,
    format: b.format,
    hash: b.hash,
    schemaVersion: b.validated.schemaVersion,
    description: b.validated.description,
    parameters: b.validated.parameters,
    platformTypes: b.validated.platformTypes,
    createdAt: b.createdAt,
  };
}

export { viewOfRow };

function badVersion(handle: DocumentHandle, what: string): ApiError {
  const range = handle.latestVersion > 1 ? `versions up to ${handle.latestVersion}` : "version 1";
  return new ApiError(
    "InvalidDocumentVersion",
    `Document ${handle.name} has no ${what} (it has ${range}; $LATEST and $DEFAULT name its latest and default versions).`,
  );
}

/** Which version numbers a shared document's recipient may use. */
function sharedAllows(handle: DocumentHandle, version: number): boolean {
  if (handle.kind !== "shared" || handle.sharedVersion === "$ALL") return true;
  return version === (handle.sharedVersion === "$LATEST" ? handle.latestVersion : handle.defaultVersion);
}

/**
 * One version of a document: a number, "$LATEST", "$DEFAULT" (the default when neither is given)
 * or a VersionName. Throws InvalidDocumentVersion.
 */
export async function loadVersion(ctx: RequestContext, handle: DocumentHandle, opts: { version?: string; versionName?: string }): Promise<VersionView> {
  let number: number | undefined;
  if (opts.version === "$LATEST") number = handle.latestVersion;
  else if (opts.version === "$DEFAULT") number = handle.defaultVersion;
  else if (opts.version !== undefined) {
    if (!/^[1-9][0-9]*$/.test(opts.version)) throw badVersion(handle, `version '${opts.version}'`);
    number = Number(opts.version);
  } else if (opts.versionName === undefined) {
    // A recipient of a document shared at $LATEST gets the latest when it names no version.
    number = handle.kind === "shared" && handle.sharedVersion === "$LATEST" ? handle.latestVersion : handle.defaultVersion;
  }
  if (handle.builtin) {
    if ((number !== undefined && number !== 1) || opts.versionName !== undefined) {
      throw badVersion(handle, number !== undefined && number !== 1 ? `version ${number}` : `version named '${opts.versionName}'`);
    }
    return viewOfBuiltin(handle, handle.builtin);
  }
  const db = docs(ctx.services.db);
  let row: VersionRow | undefined;
  if (opts.versionName !== undefined) {
    row = await getVersionByName(db, handle.scope, handle.name, opts.versionName);
    if (!row) throw badVersion(handle, `version named '${opts.versionName}'`);
    if (number !== undefined && row.version !== number) {
      throw new ApiError(
        "InvalidDocumentVersion",
        `Document ${handle.name}: version name '${opts.versionName}' is version ${row.version}, not version ${number}. Give one of them, or both naming the same version.`,
      );
    }
  } else {
    row = await getVersionRow(db, handle.scope, handle.name, number as number);
    if (!row) throw badVersion(handle, `version ${number}`);
  }
  if (!sharedAllows(handle, row.version)) {
    throw new ApiError(
      "InvalidDocumentVersion",
      `Document ${handle.arn} is shared with this account at ${handle.sharedVersion} only, which is not version ${row.version}. Ask the owner to share $ALL versions, or use ${handle.sharedVersion}.`,
    );
  }
  return viewOfRow(handle, row);
}

import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { findDocument, loadVersion, type VersionView, viewOfRow } from "./access.js";
import { parseContent } from "./content.js";
import { docs, getVersionByHash } from "./store.js";
import type { ResolvedDocument } from "./types.js";

export function resolvedOf(view: VersionView): ResolvedDocument {
  const h = view.handle;
  return {
    name: h.name,
    arn: h.arn,
    owner: h.owner,
    documentType: h.documentType,
    schemaVersion: view.schemaVersion,
    version: String(view.version),
    versionName: view.versionName,
    hash: view.hash,
    content: h.builtin ? structuredClone(h.builtin.content) : parseContent(view.raw, view.format),
    rawContent: view.raw,
    format: view.format,
    parameters: view.parameters,
    platformTypes: view.platformTypes,
  };
}

export async function findDocumentForExecution(ctx: RequestContext, nameOrArn: string, version?: string): Promise<ResolvedDocument> {
  const handle = await findDocument(ctx, nameOrArn);
  return resolvedOf(await loadVersion(ctx, handle, { version }));
}

export async function findDocumentByHash(ctx: RequestContext, nameOrArn: string, hash: string): Promise<ResolvedDocument> {
  const handle = await findDocument(ctx, nameOrArn);
  const wanted = hash.toLowerCase();
  if (handle.builtin) {
    if (handle.builtin.hash === wanted) return resolvedOf(await loadVersion(ctx, handle, {}));
  } else {
    const row = await getVersionByHash(docs(ctx.services.db), handle.scope, handle.name, wanted);
    if (row) {
      // A shared document's recipient only reaches the versions the owner shared.
      const view = await loadVersion(ctx, handle, { version: String(row.version) });
      return resolvedOf(view.version === row.version ? view : viewOfRow(handle, row));
    }
  }
  throw new ApiError("InvalidDocument", `No version of document ${nameOrArn} has the Sha256 hash ${hash}. DescribeDocument shows each version's Hash.`);
}

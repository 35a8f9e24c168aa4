import { ApiError } from "../../http/errors.js";
import type { Capability, RequestContext } from "../../runtime.js";
import { ownDocument } from "./access.js";
import { findDocumentByHash, findDocumentForExecution } from "./lookup.js";
import { createDocument } from "./ops-create.js";
import { deleteDocument } from "./ops-delete.js";
import { listDocuments } from "./ops-list.js";
import { describeDocumentPermission, modifyDocumentPermission } from "./ops-permissions.js";
import { describeDocument, getDocument, listDocumentVersions } from "./ops-read.js";
import { updateDocument, updateDocumentDefaultVersion } from "./ops-update.js";
import { resolveDocumentParameters } from "./resolve-parameters.js";
import { documentMigrations } from "./tables.js";
import { MAX_TAGS } from "./limits.js";
import { TAG_TYPE } from "./tag-type.js";
import type { ResolvedDocument } from "./types.js";

export type { DocumentParameterDeclaration, DocumentFormat, ParameterType, ResolvedDocument } from "./types.js";
export { substituteParameters } from "./substitute.js";
export { toApiParameterValues } from "./resolve-parameters.js";
export { addDocumentDeletionGuard, type DeletionGuard } from "./ops-delete.js";

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

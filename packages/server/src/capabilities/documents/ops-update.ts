import type { UpdateDocumentDefaultVersionRequest, UpdateDocumentRequest } from "@aws-sdk/client-ssm";
import { sql } from "kysely";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { op } from "../../runtime.js";
import { isUniqueViolation } from "../../storage/database.js";
import { getTagList } from "../tags/index.js";
import { type DocumentHandle, loadVersion, notFound, ownDocument } from "./access.js";
import { builtinDocument } from "./builtin/catalog.js";
import { documentDescription } from "./describe.js";
import { MAX_VERSIONS_PER_DOCUMENT } from "./limits.js";
import { isReservedName, PREFERENCES_DOCUMENT } from "./names.js";
import { prepareVersion } from "./prepare.js";
import { ownResources } from "./resources.js";
import { countVersions, docs, getVersionByHash, getVersionByName, getVersionRow, insertNewDocument } from "./store.js";
import { TAG_TYPE } from "./tag-type.js";
import { inScope } from "../../storage/scope.js";

/** The caller's own document, or the reason it can't be changed (AWS-owned, or missing). */
export async function ownForWrite(ctx: RequestContext, name: string, verb: string): Promise<DocumentHandle> {
  const own = await ownDocument(ctx, name);
  if (own) return own;
  if (builtinDocument(name) || isReservedName(name)) {
    throw new ApiError(
      "InvalidDocumentOperation",
      `${name} is an AWS-owned document and can't be ${verb}. Create a document of your own (under a name without the AWS- prefix) instead.`,
    );
  }
  throw notFound(name);
}

/** The account's first own SSM-SessionManagerRunShell: UpdateDocument on AWS's default creates the account's document. */
async function createPreferencesDocument(ctx: RequestContext, input: UpdateDocumentRequest): Promise<DocumentHandle> {
  const prepared = await prepareVersion(ctx, "Session", input);
  const now = ctx.now().getTime();
  try {
    await ctx.transaction((tx) => insertNewDocument(tx.db, ctx.scope, PREFERENCES_DOCUMENT, "Session", prepared, now));
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    throw new ApiError("TooManyUpdates", `${PREFERENCES_DOCUMENT} was created by another request at the same time; retry the update.`);
  }
  return (await ownDocument(ctx, PREFERENCES_DOCUMENT)) as DocumentHandle;
}

export const updateDocument = op<UpdateDocumentRequest, object>({
  service: "ssm",
  name: "UpdateDocument",
  resources: ownResources,
  async handle(ctx, input) {
    const name = String(input.Name);
    const scope = { accountId: ctx.accountId, region: ctx.region };
    const db = docs(ctx.services.db);
    if (name === PREFERENCES_DOCUMENT && !(await ownDocument(ctx, name))) {
      const created = await createPreferencesDocument(ctx, input);
      return { DocumentDescription: documentDescription(await loadVersion(ctx, created, { version: "1" }), []) };
    }
    const handle = await ownForWrite(ctx, name, "updated");
    const asked = input.DocumentVersion;
    const askedNumber = asked === "$LATEST" || asked === undefined ? handle.latestVersion : asked === "$DEFAULT" ? handle.defaultVersion : Number(asked);
    if (askedNumber !== handle.latestVersion) {
      throw new ApiError(
        "InvalidDocumentVersion",
        `UpdateDocument adds a version after the latest one: DocumentVersion must be $LATEST or ${handle.latestVersion} (the latest version of ${name}), not ${asked}.`,
      );
    }
    const latest = await getVersionRow(db, scope, name, handle.latestVersion);
    const prepared = await prepareVersion(ctx, handle.documentType, input, name);
    if (input.DisplayName === undefined) prepared.display_name = latest?.display_name ?? null;
    if (input.TargetType === undefined) prepared.target_type = latest?.target_type ?? null;
    const same = await getVersionByHash(db, scope, name, prepared.hash);
    if (same) {
      throw new ApiError(
        "DuplicateDocumentContent",
        `The content is the same as version ${same.version} of ${name}. Change the content, or make version ${same.version} the default with UpdateDocumentDefaultVersion.`,
      );
    }
    if (prepared.version_name !== null && (await getVersionByName(db, scope, name, prepared.version_name))) {
      throw new ApiError(
        "DuplicateDocumentVersionName",
        `Version name ${prepared.version_name} is already used by another version of ${name}; version names are unique within a document.`,
      );
    }
    if ((await countVersions(db, scope, name)) >= MAX_VERSIONS_PER_DOCUMENT) {
      throw new ApiError(
        "DocumentVersionLimitExceeded",
        `${name} already has ${MAX_VERSIONS_PER_DOCUMENT} versions, the most a document may have. Delete versions you no longer need (DeleteDocument with DocumentVersion).`,
      );
    }
    const now = ctx.now().getTime();
    let version = 0;
    try {
      await ctx.transaction(async (tx) => {
        const trx = docs(tx.db);
        const bumped = await trx
          .updateTable("documents")
          .set({ version_counter: sql`version_counter + 1`, latest_version: sql`version_counter + 1` })
          .where(inScope(ctx))
          .where("name", "=", name)
          .returning("version_counter")
          .executeTakeFirst();
        if (!bumped) throw notFound(name);
        version = bumped.version_counter;
        await trx
          .insertInto("document_versions")
          .values({ ...prepared, account_id: ctx.accountId, region: ctx.region, name, version, created_at: now })
          .execute();
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new ApiError(
          "DuplicateDocumentVersionName",
          `Version name ${prepared.version_name} is already used by another version of ${name}; version names are unique within a document.`,
        );
      }
      throw e;
    }
    const fresh = await ownForWrite(ctx, name, "updated");
    const view = await loadVersion(ctx, fresh, { version: String(version) });
    return { DocumentDescription: documentDescription(view, await getTagList(ctx.services.db, scope, TAG_TYPE, name)) };
  },
});

export const updateDocumentDefaultVersion = op<UpdateDocumentDefaultVersionRequest, object>({
  service: "ssm",
  name: "UpdateDocumentDefaultVersion",
  resources: ownResources,
  async handle(ctx, input) {
    const name = String(input.Name);
    const handle = await ownDocument(ctx, name);
    if (!handle) {
      if (builtinDocument(name) || isReservedName(name))
        throw new ApiError("InvalidDocument", `${name} is an AWS-owned document; its default version can't be changed.`);
      throw notFound(name);
    }
    const view = await loadVersion(ctx, handle, { version: String(input.DocumentVersion) });
    await docs(ctx.services.db).updateTable("documents").set({ default_version: view.version }).where(inScope(ctx)).where("name", "=", name).execute();
    return { Description: { Name: name, DefaultVersion: String(view.version), DefaultVersionName: view.versionName } };
  },
});

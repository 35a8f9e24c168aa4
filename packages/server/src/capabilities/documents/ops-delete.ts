import type { DeleteDocumentRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { op } from "../../runtime.js";
import { deleteAllTags } from "../tags/index.js";
import { loadVersion } from "./access.js";
import { ownForWrite } from "./ops-update.js";
import { ownResources } from "./resources.js";
import { deleteDocumentRows, docs } from "./store.js";
import { TAG_TYPE } from "./tag-type.js";
import { inScope } from "../../storage/scope.js";

/** Checks another capability runs before a whole document is deleted (State Manager refuses while associations use it). */
export type DeletionGuard = (ctx: RequestContext, documentName: string) => Promise<void>;
const guards: DeletionGuard[] = [];

/** Registers a check that may refuse DeleteDocument by throwing an ApiError (AssociatedInstances, for example). */
export function addDocumentDeletionGuard(guard: DeletionGuard): void {
  guards.push(guard);
}

/** Document types AWS deletes only with Force, because other resources validate against them. */
const FORCE_TYPES = ["ApplicationConfigurationSchema"];

export const deleteDocument = op<DeleteDocumentRequest, object>({
  service: "ssm",
  name: "DeleteDocument",
  resources: ownResources,
  async handle(ctx, input) {
    const name = String(input.Name);
    const scope = { accountId: ctx.accountId, region: ctx.region };
    const handle = await ownForWrite(ctx, name, "deleted");
    if (input.DocumentVersion !== undefined || input.VersionName !== undefined) {
      const view = await loadVersion(ctx, handle, { version: input.DocumentVersion, versionName: input.VersionName });
      if (view.version === handle.defaultVersion) {
        throw new ApiError(
          "InvalidDocumentOperation",
          `Version ${view.version} is the default version of ${name} and can't be deleted. Make another version the default (UpdateDocumentDefaultVersion), or delete the whole document.`,
        );
      }
      await ctx.transaction(async (tx) => {
        const trx = docs(tx.db);
        await trx.deleteFrom("document_versions").where(inScope(ctx)).where("name", "=", name).where("version", "=", view.version).execute();
        const top = await trx
          .selectFrom("document_versions")
          .select((eb) => eb.fn.max<number>("version").as("v"))
          .where(inScope(ctx))
          .where("name", "=", name)
          .executeTakeFirst();
        await trx
          .updateTable("documents")
          .set({ latest_version: Number(top?.v ?? handle.defaultVersion) })
          .where(inScope(ctx))
          .where("name", "=", name)
          .execute();
      });
      return {};
    }
    if (FORCE_TYPES.includes(handle.documentType) && !input.Force) {
      throw new ApiError(
        "InvalidDocumentOperation",
        `${name} is an ${handle.documentType} document, which other documents may require; pass Force to delete it anyway.`,
      );
    }
    for (const guard of guards) await guard(ctx, name);
    await ctx.transaction(async (tx) => {
      await deleteDocumentRows(docs(tx.db), scope, name);
      await deleteAllTags(tx.db, scope, TAG_TYPE, name);
    });
    return {};
  },
});

import type { DescribeDocumentPermissionRequest, ModifyDocumentPermissionRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { op } from "../../runtime.js";
import { notFound, ownDocument } from "./access.js";
import { builtinDocument } from "./builtin/catalog.js";
import { MAX_SHARED_ACCOUNTS } from "./limits.js";
import { isReservedName } from "./names.js";
import { pageOf } from "../../http/paging.js";
import { ownResources } from "./resources.js";
import { docs, listPermissions } from "./store.js";
import { inScope } from "../../storage/scope.js";

async function ownForSharing(ctx: RequestContext, name: string) {
  const handle = await ownDocument(ctx, name);
  if (handle) return handle;
  if (builtinDocument(name) || isReservedName(name)) {
    throw new ApiError("InvalidDocument", `${name} is an AWS-owned document: every account can already use it, and only its owner could share it.`);
  }
  throw notFound(name);
}

/** "All" in any case means public; account ids stay as they are. */
const grantee = (id: string) => (id.toLowerCase() === "all" ? "all" : id);

export const describeDocumentPermission = op<DescribeDocumentPermissionRequest, object>({
  service: "ssm",
  name: "DescribeDocumentPermission",
  readOnly: true,
  resources: ownResources,
  async handle(ctx, input) {
    const handle = await ownForSharing(ctx, String(input.Name));
    const rows = await listPermissions(docs(ctx.services.db), handle.scope, handle.name);
    const page = pageOf(ctx, rows, (r) => r.shared_with, input, { query: { n: handle.name }, defaultSize: 200 });
    return {
      AccountIds: page.items.map((r) => r.shared_with),
      AccountSharingInfoList: page.items.map((r) => ({ AccountId: r.shared_with, SharedDocumentVersion: r.shared_version })),
      NextToken: page.nextToken,
    };
  },
});

export const modifyDocumentPermission = op<ModifyDocumentPermissionRequest, object>({
  service: "ssm",
  name: "ModifyDocumentPermission",
  resources: ownResources,
  async handle(ctx, input) {
    for (const id of [...(input.AccountIdsToAdd ?? []), ...(input.AccountIdsToRemove ?? [])]) {
      if (!/^(all|[0-9]{12})$/i.test(String(id))) {
        throw new ApiError("ValidationException", `'${id}' is not an account id: give 12-digit AWS account ids, or All to share the document publicly.`);
      }
    }
    // AWS's answer, word for word, when All (public) comes with account ids in one list.
    for (const ids of [input.AccountIdsToAdd ?? [], input.AccountIdsToRemove ?? []]) {
      if (ids.length > 1 && ids.some((id) => grantee(String(id)) === "all")) {
        throw new ApiError("DocumentPermissionLimit", "Accounts can either be all or a group of AWS accounts");
      }
    }
    const handle = await ownForSharing(ctx, String(input.Name));
    const add = [...new Set((input.AccountIdsToAdd ?? []).map(grantee))].filter((a) => a !== ctx.accountId);
    const remove = new Set((input.AccountIdsToRemove ?? []).map(grantee));
    if (!input.AccountIdsToAdd?.length && !input.AccountIdsToRemove?.length) {
      throw new ApiError("InvalidPermissionType", "Give AccountIdsToAdd or AccountIdsToRemove (12-digit account ids, or All to make the document public).");
    }
    const sharedVersion = input.SharedDocumentVersion ?? "$DEFAULT";
    const now = ctx.now().getTime();
    await ctx.transaction(async (tx) => {
      const trx = docs(tx.db);
      const current = new Set((await listPermissions(trx, handle.scope, handle.name)).map((r) => r.shared_with));
      const toAdd = add.filter((a) => !remove.has(a));
      const accounts = new Set([...current, ...toAdd].filter((a) => a !== "all" && !remove.has(a)));
      if (accounts.size > MAX_SHARED_ACCOUNTS) {
        throw new ApiError(
          "DocumentPermissionLimit",
          `A document can be shared with at most ${MAX_SHARED_ACCOUNTS} accounts; this change would share ${handle.name} with ${accounts.size}. Share it with All (public) or remove accounts first.`,
        );
      }
      if (remove.size) {
        await trx
          .deleteFrom("document_permissions")
          .where(inScope(ctx))
          .where("name", "=", handle.name)
          .where("shared_with", "in", [...remove])
          .execute();
      }
      for (const account of toAdd) {
        await trx
          .insertInto("document_permissions")
          .values({ account_id: ctx.accountId, region: ctx.region, name: handle.name, shared_with: account, shared_version: sharedVersion, created_at: now })
          .onConflict((oc) => oc.columns(["account_id", "region", "name", "shared_with"]).doUpdateSet({ shared_version: sharedVersion }))
          .execute();
      }
    });
    return {};
  },
});

import type { CreateAliasRequest, DeleteAliasRequest, ListAliasesRequest, ListAliasesResponse, UpdateAliasRequest } from "@aws-sdk/client-kms";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op, type OperationDef, type RequestContext } from "../../runtime.js";
import { keyRef } from "./access.js";
import { aliasArn, aliasNotFound, db, findKey, getAlias, type KeyRow, parseReference } from "./keys.js";
import { markerRequest } from "../../http/paging.js";
import { invalidState, refuseManaged } from "./shared.js";
import { inScope } from "../../storage/scope.js";

const ALIAS_CHARS = /^alias\/[a-zA-Z0-9/_-]+$/;

/** AWS's rules for a user alias name: the alias/ prefix, the allowed characters, not the reserved alias/aws/. */
function checkAliasName(name: string): void {
  if (!name.startsWith("alias/")) {
    throw new ApiError(
      "ValidationException",
      `Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html`,
    );
  }
  if (name.startsWith("alias/aws/")) {
    throw new ApiError(
      "InvalidAliasNameException",
      `The alias name ${name} is not valid: the alias/aws/ prefix is reserved for AWS managed keys. Choose a name that does not begin with alias/aws/.`,
    );
  }
  if (!ALIAS_CHARS.test(name)) {
    throw new ApiError("ValidationException", `${name} contains invalid characters for an alias: use only letters, digits, /, _ and - after alias/.`);
  }
}

/** The key an alias may point at: named by key id or key ARN, customer managed, not pending deletion. */
async function targetKey(ctx: RequestContext, ref: string | undefined, member: string): Promise<KeyRow> {
  if (!ref) throw new ApiError("ValidationException", `${member} is required: name the key by its key id or key ARN.`);
  if (parseReference(ctx, ref).kind === "alias") {
    throw new ApiError("ValidationException", `${member} must name a key by its key id or key ARN, not by an alias (${ref}).`);
  }
  return findKey(ctx, ref);
}

function usableTarget(ctx: RequestContext, key: KeyRow, action: string): void {
  refuseManaged(ctx, key, action);
  if (key.key_state === "PendingDeletion") throw invalidState(ctx, key, "is pending deletion.");
}

async function existingAlias(ctx: RequestContext, name: string) {
  const alias = await getAlias(ctx, name);
  if (!alias) throw aliasNotFound(ctx, name);
  return alias;
}

export const aliasOperations: OperationDef<any, any>[] = [
  op<CreateAliasRequest, object>({
    service: "kms",
    name: "CreateAlias",
    async resources(ctx, input) {
      checkAliasName(String(input.AliasName));
      const key = await targetKey(ctx, input.TargetKeyId, "TargetKeyId");
      return [{ arn: aliasArn(ctx, String(input.AliasName)) }, keyRef(ctx, key.key_id)];
    },
    async handle(ctx, input) {
      const name = String(input.AliasName);
      const key = await targetKey(ctx, input.TargetKeyId, "TargetKeyId");
      usableTarget(ctx, key, "kms:CreateAlias");
      const now = ctx.now().getTime();
      const inserted = await db(ctx)
        .insertInto("kms_aliases")
        .values({ account_id: ctx.accountId, region: ctx.region, alias_name: name, key_id: key.key_id, creation_date: now, last_updated_date: now })
        .onConflict((oc) => oc.columns(["account_id", "region", "alias_name"]).doNothing())
        .returning("alias_name")
        .execute();
      if (inserted.length === 0) {
        throw new ApiError(
          "AlreadyExistsException",
          `An alias with the name ${aliasArn(ctx, name)} already exists. Choose another name, or move it with UpdateAlias.`,
        );
      }
      return {};
    },
  }),
  op<UpdateAliasRequest, object>({
    service: "kms",
    name: "UpdateAlias",
    async resources(ctx, input) {
      checkAliasName(String(input.AliasName));
      const alias = await existingAlias(ctx, String(input.AliasName));
      const key = await targetKey(ctx, input.TargetKeyId, "TargetKeyId");
      return [{ arn: aliasArn(ctx, alias.alias_name) }, keyRef(ctx, alias.key_id), keyRef(ctx, key.key_id)];
    },
    async handle(ctx, input) {
      const alias = await existingAlias(ctx, String(input.AliasName));
      const key = await targetKey(ctx, input.TargetKeyId, "TargetKeyId");
      usableTarget(ctx, key, "kms:UpdateAlias");
      await db(ctx)
        .updateTable("kms_aliases")
        .set({ key_id: key.key_id, last_updated_date: ctx.now().getTime() })
        .where(inScope(ctx))
        .where("alias_name", "=", alias.alias_name)
        .execute();
      return {};
    },
  }),
  op<DeleteAliasRequest, object>({
    service: "kms",
    name: "DeleteAlias",
    async resources(ctx, input) {
      checkAliasName(String(input.AliasName));
      const alias = await existingAlias(ctx, String(input.AliasName));
      return [{ arn: aliasArn(ctx, alias.alias_name) }, keyRef(ctx, alias.key_id)];
    },
    async handle(ctx, input) {
      const alias = await existingAlias(ctx, String(input.AliasName));
      await db(ctx).deleteFrom("kms_aliases").where(inScope(ctx)).where("alias_name", "=", alias.alias_name).execute();
      return {};
    },
  }),
  op<ListAliasesRequest, ListAliasesResponse>({
    service: "kms",
    name: "ListAliases",
    readOnly: true,
    resources: ANY_RESOURCE,
    async handle(ctx, input) {
      const paging = markerRequest(ctx, input, { query: input.KeyId ?? null, defaultSize: 50 });
      const after = paging.after;
      let q = db(ctx).selectFrom("kms_aliases").selectAll().where(inScope(ctx));
      if (input.KeyId !== undefined) q = q.where("key_id", "=", (await targetKey(ctx, input.KeyId, "KeyId")).key_id);
      if (after !== undefined) q = q.where("alias_name", ">", after);
      const rows = await q
        .orderBy("alias_name")
        .limit(paging.size + 1)
        .execute();
      const { items: page, nextToken } = paging.finish(rows, (a) => a.alias_name);
      return {
        Aliases: page.map((a) => ({
          AliasName: a.alias_name,
          AliasArn: aliasArn(ctx, a.alias_name),
          TargetKeyId: a.key_id,
          CreationDate: new Date(Number(a.creation_date)),
          LastUpdatedDate: new Date(Number(a.last_updated_date)),
        })),
        Truncated: nextToken !== undefined,
        NextMarker: nextToken,
      };
    },
  }),
];

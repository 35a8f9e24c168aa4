import type { AccessKeyRecord } from "../../iam/principals.js";
import { accessKeyMetadata, createUserAccessKey, requireAccessKey, userAccessKeys } from "../../iam/admin.js";
import { deleteAccessKey, setAccessKeyStatus } from "../../iam/principals.js";
import { pageOf } from "../../http/paging.js";
import { type OperationDef, type RequestContext, op } from "../../runtime.js";
import { type Named, existing, forgetKeys, iamPage, principalAccess, userNameOf } from "./shared.js";

interface KeyInput {
  UserName?: string;
  AccessKeyId: string;
  Status?: "Active" | "Inactive";
}

/** The user a key operation names (or the caller), authorized on that user's ARN as IAM does. */
const userAccess = (ctx: RequestContext, input: { UserName?: string }) => principalAccess(ctx, "user", userNameOf(ctx, input.UserName));

async function keyOf(ctx: RequestContext, input: KeyInput, found: Named): Promise<AccessKeyRecord> {
  const user = await existing(ctx, "user", userNameOf(ctx, input.UserName), found);
  return requireAccessKey(ctx.services.db, ctx.accountId, input.AccessKeyId, user);
}

/** A user's long-term access keys: the secret is answered once, by CreateAccessKey, and stored only sealed. */
export const accessKeyOperations: OperationDef<any, any, any>[] = [
  op<{ UserName?: string }, unknown, Named>({
    service: "openssm",
    name: "CreateAccessKey",
    action: "iam:CreateAccessKey",
    resources: userAccess,
    async handle(ctx, input, found) {
      const user = await existing(ctx, "user", userNameOf(ctx, input.UserName), found);
      const now = ctx.now().getTime();
      const key = await ctx.transaction((tx) => createUserAccessKey(tx.db, ctx.services.masterKey, user, now));
      return {
        AccessKey: { UserName: user.name, AccessKeyId: key.accessKeyId, Status: "Active", SecretAccessKey: key.secretAccessKey, CreateDate: new Date(now) },
      };
    },
  }),
  op<{ UserName?: string; Marker?: string; MaxItems?: number }, unknown, Named>({
    service: "openssm",
    name: "ListAccessKeys",
    action: "iam:ListAccessKeys",
    resources: userAccess,
    async handle(ctx, input, found) {
      const user = await existing(ctx, "user", userNameOf(ctx, input.UserName), found);
      const keys = await userAccessKeys(ctx.services.db, user);
      const page = pageOf(ctx, keys, (k) => k.accessKeyId, { NextToken: input.Marker, MaxResults: input.MaxItems }, { defaultSize: 100, query: user.arn });
      return { AccessKeyMetadata: page.items.map((k) => accessKeyMetadata(k, user.name)), ...iamPage(page) };
    },
  }),
  op<KeyInput, unknown, Named>({
    service: "openssm",
    name: "UpdateAccessKey",
    action: "iam:UpdateAccessKey",
    resources: userAccess,
    async handle(ctx, input, found) {
      const key = await keyOf(ctx, input, found);
      await ctx.transaction((tx) => setAccessKeyStatus(tx.db, key.accessKeyId, input.Status as "Active" | "Inactive"));
      forgetKeys(ctx, key.principalArn);
      return {};
    },
  }),
  op<KeyInput, unknown, Named>({
    service: "openssm",
    name: "DeleteAccessKey",
    action: "iam:DeleteAccessKey",
    resources: userAccess,
    async handle(ctx, input, found) {
      const key = await keyOf(ctx, input, found);
      await ctx.transaction((tx) => deleteAccessKey(tx.db, key.accessKeyId));
      forgetKeys(ctx, key.principalArn);
      return {};
    },
  }),
];

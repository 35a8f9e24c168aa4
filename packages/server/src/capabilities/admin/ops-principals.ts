import {
  type PrincipalKind,
  checkIamPath,
  createIamPrincipal,
  deleteIamPrincipal,
  principalTags,
  principalView,
  tagIamPrincipal,
  tagList,
  untagIamPrincipal,
} from "../../iam/admin.js";
import { listPrincipals, principalArn } from "../../iam/principals.js";
import { pageOf } from "../../http/paging.js";
import { ANY_RESOURCE, type OperationDef, op } from "../../runtime.js";
import { type Named, existing, forgetKeys, iamPage, principalAccess, userNameOf } from "./shared.js";

type Tag = { Key: string; Value: string };
const tagMap = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key, t.Value]));

/** Create / Get / List / Delete / Tag / Untag / List…Tags for users (`kind` "user") or roles ("role"), as IAM names them. */
export function principalOperations(kind: PrincipalKind): OperationDef<any, any, any>[] {
  const T = kind === "user" ? "User" : "Role";
  const nameOf = (input: Record<string, unknown>) => String(input[`${T}Name`]);
  const access = (ctx: Parameters<typeof principalAccess>[0], input: Record<string, unknown>) => principalAccess(ctx, kind, nameOf(input));
  return [
    op<Record<string, any>, unknown>({
      service: "openssm",
      name: `Create${T}`,
      action: `iam:Create${T}`,
      resources: (ctx, input) => [{ arn: principalArn(ctx.accountId, kind, nameOf(input), checkIamPath(input.Path)) }],
      async handle(ctx, input) {
        const row = await ctx.transaction((tx) =>
          createIamPrincipal(
            tx.db,
            { accountId: ctx.accountId, kind, name: nameOf(input), path: input.Path, tags: tagMap(input.Tags), trustPolicy: input.AssumeRolePolicyDocument },
            ctx.now().getTime(),
          ),
        );
        return { [T]: principalView(row, true) };
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `Get${T}`,
      action: `iam:Get${T}`,
      // GetUser without UserName is the calling user, as in IAM.
      resources: (ctx, input) => principalAccess(ctx, kind, kind === "user" ? userNameOf(ctx, input.UserName) : nameOf(input)),
      async handle(ctx, input, row) {
        const name = kind === "user" ? userNameOf(ctx, input.UserName) : nameOf(input);
        return { [T]: principalView(await existing(ctx, kind, name, row), true) };
      },
    }),
    op<{ PathPrefix?: string; Marker?: string; MaxItems?: number }, unknown>({
      service: "openssm",
      name: `List${T}s`,
      action: `iam:List${T}s`,
      resources: ANY_RESOURCE,
      async handle(ctx, input) {
        const prefix = input.PathPrefix ?? "/";
        const rows = (await listPrincipals(ctx.services.db, ctx.accountId)).filter((p) => p.kind === kind && p.path.startsWith(prefix));
        const page = pageOf(ctx, rows, (r) => r.name, { NextToken: input.Marker, MaxResults: input.MaxItems }, { defaultSize: 100, query: { prefix } });
        return { [`${T}s`]: page.items.map((r) => principalView(r, false)), ...iamPage(page) };
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `Delete${T}`,
      action: `iam:Delete${T}`,
      resources: access,
      async handle(ctx, input, found) {
        const row = await existing(ctx, kind, nameOf(input), found);
        await ctx.transaction((tx) => deleteIamPrincipal(tx.db, row, { cascade: false }));
        forgetKeys(ctx, row.arn);
        return {};
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `Tag${T}`,
      action: `iam:Tag${T}`,
      resources: access,
      async handle(ctx, input, found) {
        const row = await existing(ctx, kind, nameOf(input), found);
        await ctx.transaction((tx) => tagIamPrincipal(tx.db, row, tagMap(input.Tags)));
        forgetKeys(ctx, row.arn);
        return {};
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `Untag${T}`,
      action: `iam:Untag${T}`,
      resources: access,
      async handle(ctx, input, found) {
        const row = await existing(ctx, kind, nameOf(input), found);
        await ctx.transaction((tx) => untagIamPrincipal(tx.db, row, input.TagKeys as string[]));
        forgetKeys(ctx, row.arn);
        return {};
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `List${T}Tags`,
      action: `iam:List${T}Tags`,
      resources: access,
      async handle(ctx, input, found) {
        const row = await existing(ctx, kind, nameOf(input), found);
        const page = pageOf(
          ctx,
          tagList(principalTags(row)),
          (t) => t.Key,
          { NextToken: input.Marker, MaxResults: input.MaxItems },
          { defaultSize: 100, query: row.arn },
        );
        return { Tags: page.items, ...iamPage(page) };
      },
    }),
  ];
}

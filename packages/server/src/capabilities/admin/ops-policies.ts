import { type PrincipalKind, deleteInlinePolicy, getInlinePolicy, listInlinePolicyNames, parsePolicyDocument, putInlinePolicy } from "../../iam/admin.js";
import { pageOf } from "../../http/paging.js";
import { type OperationDef, op } from "../../runtime.js";
import { type Named, existing, forgetKeys, iamPage, principalAccess } from "./shared.js";

/** Put / Get / Delete / List inline policies of users (`kind` "user") or roles ("role"). */
export function policyOperations(kind: PrincipalKind): OperationDef<any, any, any>[] {
  const T = kind === "user" ? "User" : "Role";
  const nameOf = (input: Record<string, unknown>) => String(input[`${T}Name`]);
  const access = (ctx: Parameters<typeof principalAccess>[0], input: Record<string, unknown>) => principalAccess(ctx, kind, nameOf(input));
  return [
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `Put${T}Policy`,
      action: `iam:Put${T}Policy`,
      resources: access,
      async handle(ctx, input, found) {
        const doc = parsePolicyDocument(String(input.PolicyDocument));
        const row = await existing(ctx, kind, nameOf(input), found);
        await ctx.transaction((tx) => putInlinePolicy(tx.db, row, String(input.PolicyName), doc, ctx.now().getTime()));
        forgetKeys(ctx, row.arn);
        return {};
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `Get${T}Policy`,
      action: `iam:Get${T}Policy`,
      resources: access,
      async handle(ctx, input, found) {
        const row = await existing(ctx, kind, nameOf(input), found);
        const policy = await getInlinePolicy(ctx.services.db, row, String(input.PolicyName));
        // The document as JSON text (IAM's query protocol URL-encodes it; this JSON API needs no such step).
        return { [`${T}Name`]: row.name, PolicyName: policy.name, PolicyDocument: JSON.stringify(policy.document) };
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `Delete${T}Policy`,
      action: `iam:Delete${T}Policy`,
      resources: access,
      async handle(ctx, input, found) {
        const row = await existing(ctx, kind, nameOf(input), found);
        await ctx.transaction((tx) => deleteInlinePolicy(tx.db, row, String(input.PolicyName)));
        forgetKeys(ctx, row.arn);
        return {};
      },
    }),
    op<Record<string, any>, unknown, Named>({
      service: "openssm",
      name: `List${T}Policies`,
      action: `iam:List${T}Policies`,
      resources: access,
      async handle(ctx, input, found) {
        const row = await existing(ctx, kind, nameOf(input), found);
        const names = await listInlinePolicyNames(ctx.services.db, row);
        const page = pageOf(ctx, names, (n) => n, { NextToken: input.Marker, MaxResults: input.MaxItems }, { defaultSize: 100, query: row.arn });
        return { PolicyNames: page.items, ...iamPage(page) };
      },
    }),
  ];
}

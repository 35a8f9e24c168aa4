import { ApiError } from "../../errors.js";
import { evaluate, type PolicyDocument, type PolicyStatement } from "../../iam/policy.js";
import type { RequestContext } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { opsItemGroupPolicies } from "./ops-resource-policies.js";

/** Whether a statement's Principal names the caller: its account (id or root ARN), or its own ARN. */
function namesCaller(principal: unknown, ctx: RequestContext): boolean {
  const list = (principal as { AWS?: string | string[] } | undefined)?.AWS;
  const names = Array.isArray(list) ? list : list ? [list] : [];
  return names.some((n) => n === ctx.principal.arn || n === ctx.accountId || /^arn:aws[a-z-]*:iam::(\d{12}):root$/.exec(n)?.[1] === ctx.accountId);
}

/**
 * A call on OpsItems of another account (CreateOpsItem's AccountId) is allowed when that account's
 * OpsItemGroup resource policy allows the action to the caller (an explicit deny there wins). The
 * caller's own policies have already allowed the action.
 */
export async function authorizeCrossAccount(ctx: RequestContext, owner: Scope, action: string, resourceArn: string): Promise<void> {
  const docs: PolicyDocument[] = [];
  for (const text of await opsItemGroupPolicies(ctx, owner)) {
    const doc = JSON.parse(text) as { Statement: (PolicyStatement & { Principal?: unknown }) | (PolicyStatement & { Principal?: unknown })[] };
    const stmts = (Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement]).filter((s) => namesCaller(s.Principal, ctx));
    docs.push({ Statement: stmts.map(({ Principal: _p, ...s }) => s) });
  }
  const decision = evaluate(docs, { action, resource: resourceArn, context: { "aws:principalaccount": ctx.accountId, "aws:principalarn": ctx.principal.arn } });
  if (decision !== "Allow") {
    throw new ApiError(
      "OpsItemAccessDeniedException",
      `Account ${owner.accountId} does not let ${ctx.principal.arn} perform ${action} on its OpsItems: ${
        decision === "ExplicitDeny" ? "its OpsItemGroup policy denies it" : "no statement of its OpsItemGroup resource policy (PutResourcePolicy) allows it"
      }.`,
    );
  }
}

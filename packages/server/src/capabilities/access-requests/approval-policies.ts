import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { getDocumentForExecution } from "../documents/index.js";
import { type AccessQuestion, evaluate } from "./cedar-request.js";

/** AWS's fixed names: one auto-approval policy per account and region, one deny-access policy. */
export const AUTO_APPROVAL_POLICY = "SSM-JustInTimeAccessAutoApprovalPolicy";
export const DENY_ACCESS_POLICY = "SSM-JustInTimeAccessDenyAccessOrgPolicy";
const POLICY_TYPE = "AutoApprovalPolicy";

/** The Cedar text of one approval policy document of the caller's account and region, if it exists. */
async function policyText(ctx: RequestContext, name: string): Promise<string | undefined> {
  try {
    const doc = await getDocumentForExecution(ctx, name);
    return doc.documentType === POLICY_TYPE && doc.owner === ctx.accountId ? doc.rawContent : undefined;
  } catch (e) {
    if (e instanceof ApiError && (e.code === "InvalidDocument" || e.code === "InvalidDocumentVersion")) return undefined;
    throw e;
  }
}

export type ApprovalOutcome =
  | { kind: "auto-approved"; policy: string; statements: string[] }
  | { kind: "denied"; policy: string; statements: string[] }
  | { kind: "no-policy"; detail: string };

/**
 * AWS's order: the deny-access policy first (a matching forbid rules out automatic approval), then
 * the auto-approval policy (a matching permit approves at once). A request neither approves goes to
 * the manual approval policies (manual-policy.ts); a deny-access policy rules out automatic approval only.
 */
export async function decideAccess(ctx: RequestContext, q: AccessQuestion): Promise<ApprovalOutcome> {
  const deny = await policyText(ctx, DENY_ACCESS_POLICY);
  if (deny !== undefined) {
    // A deny-access policy holds forbid statements only; permitting everything else isolates them.
    const outcome = evaluate(`${deny}\npermit (principal, action, resource);`, q);
    if (outcome.decision === "deny") return { kind: "denied", policy: DENY_ACCESS_POLICY, statements: outcome.reasons };
  }
  const auto = await policyText(ctx, AUTO_APPROVAL_POLICY);
  if (auto === undefined) {
    return { kind: "no-policy", detail: `there is no auto-approval policy (${AUTO_APPROVAL_POLICY}) in ${ctx.region}` };
  }
  const outcome = evaluate(auto, q);
  if (outcome.decision === "allow") return { kind: "auto-approved", policy: AUTO_APPROVAL_POLICY, statements: outcome.reasons };
  const errors = outcome.errors.length ? ` (statements that failed to evaluate: ${outcome.errors.join("; ")})` : "";
  return { kind: "no-policy", detail: `no statement of ${AUTO_APPROVAL_POLICY} permits it${errors}` };
}

import { ApiError } from "../../errors.js";
import { getPrincipal, listPolicies, type Principal } from "../../iam/principals.js";
import type { PolicyDocument } from "../../iam/policy.js";
import type { RequestContext } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";

/** Who an execution acts as, with the policies that decide what it may do. */
export interface ExecutionIdentity {
  principal: Principal;
  policies: PolicyDocument[];
  /** How the audit trail names the caller: a role's session carries the execution id. */
  auditArn: string;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;

/**
 * The role an execution assumes (AutomationAssumeRole / the runbook's assumeRole), checked as IAM
 * checks iam:PassRole: it must be an openssm role of the caller's account, and the caller must be
 * allowed iam:PassRole on it. Returns the role's ARN, or the caller's own ARN when none is named.
 */
export async function executionPrincipalArn(ctx: RequestContext, assumeRole: string | undefined): Promise<string> {
  if (!assumeRole) return ctx.principal.arn;
  const m = ROLE_ARN.exec(assumeRole);
  if (!m) {
    throw new ApiError(
      "InvalidAutomationExecutionParametersException",
      `The assume role ${assumeRole} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); name an openssm role or leave AutomationAssumeRole empty to run as yourself.`,
    );
  }
  if (m[1] !== ctx.accountId) {
    throw new ApiError(
      "InvalidAutomationExecutionParametersException",
      `The assume role ${assumeRole} belongs to account ${m[1]}; openssm runs automations with roles of this account (${ctx.accountId}) only.`,
    );
  }
  const role = await getPrincipal(ctx.services.db, assumeRole);
  if (!role || role.kind !== "role") {
    throw new ApiError(
      "InvalidAutomationExecutionParametersException",
      `The assume role ${assumeRole} does not exist: create it with openssm iam create-role, or leave AutomationAssumeRole empty to run as yourself.`,
    );
  }
  await ctx.authorize("iam:PassRole", [{ arn: role.arn }]);
  return role.arn;
}

/** Loads the identity an execution acts as, from storage (policies as they are now). */
export async function loadIdentity(db: AnyDb, arn: string, executionId: string): Promise<ExecutionIdentity> {
  const principal = await getPrincipal(db, arn);
  if (!principal) throw new ExecutionIdentityGone(`The principal ${arn} this automation runs as no longer exists.`);
  const policies = (await listPolicies(db, arn)).map((p) => p.document);
  const auditArn = principal.kind === "role" ? `arn:aws:sts::${principal.accountId}:assumed-role/${principal.name}/${executionId}` : principal.arn;
  return { principal, policies, auditArn };
}

export class ExecutionIdentityGone extends Error {}

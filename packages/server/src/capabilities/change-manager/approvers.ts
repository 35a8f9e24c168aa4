import { ApiError } from "../../errors.js";
import { findPrincipal, getPrincipal } from "../../iam/principals.js";
import type { RequestContext, Services } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";

/** One approver as a change template names it: an IAM user, role (or group) by name or ARN. */
export interface NamedApprover {
  approver: string;
  /** IamUser, IamRole, IamGroup (AWS's names); undefined: a user name, or an ARN of either. */
  type?: string;
}

const invalid = (message: string) => new ApiError("InvalidAutomationExecutionParametersException", message);

/**
 * The ARN of each approver, checked against IAM now: a user or role that does not exist (any more)
 * answers InvalidAutomationExecutionParametersException naming it, so no change request waits for
 * someone who can never approve. IAM groups don't exist in openssm: name the users or a role.
 */
export async function resolveApprovers(ctx: RequestContext, approvers: NamedApprover[], where: string): Promise<string[]> {
  const arns: string[] = [];
  const missing: string[] = [];
  for (const a of approvers) {
    const type = a.type ?? "";
    if (type === "IamGroup") {
      throw invalid(`${where}: approver ${a.approver} is an IAM group; openssm has no IAM groups, name its users (type IamUser) or a role (IamRole) instead.`);
    }
    if (type !== "" && type !== "IamUser" && type !== "IamRole") {
      throw invalid(`${where}: approver ${a.approver} has type ${type}; openssm takes IamUser and IamRole approvers.`);
    }
    if (a.approver.startsWith("arn:")) {
      const p = await getPrincipal(ctx.services.db, a.approver);
      if (p && (p.kind === "user" || p.kind === "role")) arns.push(p.arn);
      else missing.push(a.approver);
      continue;
    }
    const kind = type === "IamRole" ? "role" : "user";
    const row = await findPrincipal(ctx.services.db, ctx.accountId, kind, a.approver);
    if (row) arns.push(row.arn);
    else missing.push(`${kind} ${a.approver}`);
  }
  if (missing.length) {
    throw invalid(
      `${where}: ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} not an IAM user or role of account ${ctx.accountId}. Create ${missing.length > 1 ? "them" : "it"} (openssm iam create-user) or change the template's approvers.`,
    );
  }
  return [...new Set(arns)];
}

/** The ARNs an approver-list service setting names ({"users":{"<arn>":""},"roles":{...}}), those that exist. */
export async function approverListOf(services: Services, value: string): Promise<string[]> {
  let parsed: Record<string, Record<string, unknown>>;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [];
  }
  const arns = [...Object.keys(parsed.users ?? {}), ...Object.keys(parsed.roles ?? {})];
  const found: string[] = [];
  for (const arn of arns) if (await getPrincipal(services.db, arn)) found.push(arn);
  return found;
}

/** Whether the caller is on an approver list (by its ARN). */
export function listed(list: string[], principalArn: string): boolean {
  return list.includes(principalArn);
}

export type { Scope };

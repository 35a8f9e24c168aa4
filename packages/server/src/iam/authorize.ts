import type { Principal } from "./principals.js";
import { type ContextValues, type Decision, evaluate, mentionsConditionKey, type PolicyDocument } from "./policy.js";
import { ApiError } from "../errors.js";

/** One resource an operation acts on, for authorization. Tags are loaded only when a policy asks. */
export interface ResourceRef {
  arn: string;
  tags?: () => Promise<Record<string, string>>;
}

export interface RequestFacts {
  principal: Principal;
  policies: PolicyDocument[];
  sourceIp: string;
  secure: boolean;
  region: string;
  now: number;
}

/** The global condition keys of a request (lower-cased, as the evaluator looks them up). */
export function requestContext(f: RequestFacts): ContextValues {
  const c: ContextValues = {
    "aws:username": f.principal.kind === "user" ? f.principal.name : undefined,
    "aws:userid": f.principal.principalId,
    "aws:principalarn": f.principal.arn,
    "aws:principalaccount": f.principal.accountId,
    "aws:principaltype": f.principal.kind === "user" ? "User" : "AssumedRole",
    "aws:sourceip": f.sourceIp,
    "aws:securetransport": String(f.secure),
    "aws:requestedregion": f.region,
    "aws:currenttime": new Date(f.now).toISOString(),
    "aws:epochtime": String(Math.floor(f.now / 1000)),
  };
  for (const [k, v] of Object.entries(f.principal.tags)) c[`aws:principaltag/${k.toLowerCase()}`] = v;
  return c;
}

async function withResourceTags(policies: PolicyDocument[], base: ContextValues, resource: ResourceRef): Promise<ContextValues> {
  if (!resource.tags) return base;
  if (!mentionsConditionKey(policies, "ssm:resourcetag/") && !mentionsConditionKey(policies, "aws:resourcetag/")) return base;
  const tags = await resource.tags();
  const c = { ...base };
  for (const [k, v] of Object.entries(tags)) {
    c[`ssm:resourcetag/${k.toLowerCase()}`] = v;
    c[`aws:resourcetag/${k.toLowerCase()}`] = v;
  }
  return c;
}

export async function decide(f: RequestFacts, action: string, resource: ResourceRef, base = requestContext(f)) {
  const context = await withResourceTags(f.policies, base, resource);
  return evaluate(f.policies, { action, resource: resource.arn, context });
}

/** Throws AccessDeniedException (AWS's message) unless `action` is allowed on every resource. */
export async function authorizeAll(f: RequestFacts, action: string, resources: ResourceRef[], extra: ContextValues = {}): Promise<void> {
  const base = { ...requestContext(f), ...extra };
  for (const r of resources) {
    const decision = await decide(f, action, r, base);
    if (decision !== "Allow") throw accessDenied(f.principal, action, r.arn, decision);
  }
}

/** AWS's AccessDeniedException for a refused action on a resource. */
export function accessDenied(principal: Principal, action: string, arn: string, decision: Decision = "ImplicitDeny"): ApiError {
  const why =
    decision === "ExplicitDeny" ? "with an explicit deny in an identity-based policy" : `because no identity-based policy allows the ${action} action`;
  return new ApiError("AccessDeniedException", `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${arn} ${why}`);
}

/** The condition keys of the tags a request puts on a new resource (aws:RequestTag/<key>, aws:TagKeys). */
export function requestTagKeys(tags: { Key?: string; Value?: string }[] | undefined): ContextValues {
  const list = tags ?? [];
  return {
    "aws:tagkeys": list.length ? list.map((t) => String(t.Key)) : undefined,
    ...Object.fromEntries(list.map((t) => [`aws:requesttag/${String(t.Key).toLowerCase()}`, String(t.Value ?? "")])),
  };
}

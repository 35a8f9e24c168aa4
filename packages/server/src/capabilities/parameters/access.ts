import { ApiError } from "../../http/errors.js";
import { decide, type RequestFacts, requestContext } from "../../iam/authorize.js";
import type { ContextValues, Decision } from "../../iam/policy.js";
import type { RequestContext, ResourceRef } from "../../runtime.js";

/**
 * Per-item decisions for listings. Unlike ctx.isAllowed this tells an explicit deny from an
 * implicit one, so a caller allowed on a whole path still doesn't see a parameter denied to them.
 */
export function decider(ctx: RequestContext, action: string, extra: ContextValues = {}): (resource: ResourceRef) => Promise<Decision> {
  const facts: RequestFacts = {
    principal: ctx.principal,
    policies: ctx.policies,
    sourceIp: ctx.sourceIp,
    secure: ctx.secure,
    region: ctx.region,
    now: ctx.now().getTime(),
  };
  const base = { ...requestContext(facts), ...extra };
  return (resource) => decide(facts, action, resource, base);
}

/**
 * Authorizes with request condition keys the generic check does not know (PutParameter's
 * ssm:Overwrite, aws:RequestTag/..., aws:TagKeys), so AWS's documented policies work.
 */
export async function authorizeWithContext(ctx: RequestContext, action: string, resource: ResourceRef, extra: ContextValues): Promise<void> {
  const decision = await decider(ctx, action, extra)(resource);
  if (decision === "Allow") return;
  if (decision === "ExplicitDeny") {
    throw new ApiError(
      "AccessDeniedException",
      `User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${resource.arn} with an explicit deny in an identity-based policy`,
    );
  }
  throw denied(ctx, action, resource.arn);
}

export function denied(ctx: RequestContext, action: string, arn: string): ApiError {
  return new ApiError(
    "AccessDeniedException",
    `User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${arn} because no identity-based policy allows the ${action} action`,
  );
}

/** Calls `load` once, on first use (tags shared by a filter and a policy condition). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}

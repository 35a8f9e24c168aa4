import { randomUUID } from "node:crypto";
import { ApiError } from "../../errors.js";
import type { WireRequest } from "../../http/dispatch.js";
import type { HttpDeps, RequestContext } from "../../runtime.js";
import { nodeArn, nodeIdOf } from "../node-identity.js";

/**
 * Authenticates an ssmmessages request (SigV4, service ssmmessages) and checks that it comes from the
 * node it names, with `ssmmessages:<action>` allowed on that node. Errors are ApiErrors whose status
 * fits HTTP (403 for a refused caller, which the agent reads as <AccessDeniedException>).
 */
export async function authenticateNode(deps: HttpDeps, wire: WireRequest, instanceId: string, action: string): Promise<RequestContext> {
  let auth: Awaited<ReturnType<HttpDeps["authenticator"]["authenticate"]>>;
  try {
    auth = await deps.authenticator.authenticate(wire, "ssmmessages");
  } catch (e) {
    if (e instanceof ApiError) throw new ApiError("AccessDeniedException", e.message, 403);
    throw e;
  }
  const ctx = deps.context(randomUUID(), action, auth.key, auth.region, wire);
  const node = nodeIdOf(ctx.principal);
  if (node !== instanceId) {
    throw new ApiError(
      "AccessDeniedException",
      node
        ? `The credentials of managed node ${node} cannot open a channel for ${instanceId}.`
        : `Control channels are opened by managed nodes with their own credentials, not by ${ctx.principal.arn}.`,
      403,
    );
  }
  try {
    await ctx.authorize(`ssmmessages:${action}`, [{ arn: nodeArn(ctx, instanceId) }]);
  } catch (e) {
    if (e instanceof ApiError) throw new ApiError("AccessDeniedException", e.message, 403);
    throw e;
  }
  return ctx;
}

/** Writes an ssmmessages call to the audit trail like the JSON API's calls. */
export function auditChannelCall(
  deps: HttpDeps,
  r: { wire: WireRequest; ctx?: RequestContext; operation: string; instanceId: string; error?: ApiError; started: number },
): void {
  deps.services.audit.record({
    time: deps.services.clock.now(),
    requestId: r.ctx?.requestId ?? randomUUID(),
    accountId: r.ctx?.accountId ?? null,
    region: r.ctx?.region ?? null,
    principalArn: r.ctx?.principal.arn ?? null,
    accessKeyId: r.ctx?.accessKeyId ?? null,
    sourceIp: r.wire.sourceIp,
    service: "ssmmessages",
    operation: r.operation,
    parameters: { InstanceId: r.instanceId },
    errorCode: r.error?.code ?? null,
    errorMessage: r.error?.message ?? null,
    durationMs: performance.now() - r.started,
  });
}

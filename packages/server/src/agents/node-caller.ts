import { ApiError } from "../errors.js";
import type { RequestContext } from "../runtime.js";
import { nodeDirectory, nodeIdOf } from "./node-identity.js";

/**
 * The managed node making an agent-protocol call. Only a node's own temporary credentials may poll
 * or answer for that node; anyone else is refused with the protocol's AuthorizationFailureException.
 */
export function callingNode(ctx: RequestContext, claimed?: string): string {
  const id = nodeIdOf(ctx.principal);
  if (!id) {
    throw new ApiError(
      "AuthorizationFailureException",
      `${ctx.operation} is for managed nodes: sign it with the temporary credentials a node gets from RequestManagedInstanceRoleToken, not with ${ctx.principal.arn}.`,
    );
  }
  if (claimed !== undefined && claimed !== id) {
    throw new ApiError("AuthorizationFailureException", `The credentials of managed node ${id} cannot act for ${claimed}.`);
  }
  return id;
}

/** Records that the node was heard from (ping status, connection channel). Never fails the call. */
export async function heardFrom(ctx: RequestContext, instanceId: string, channel: "ec2messages" | "ssmmessages"): Promise<void> {
  try {
    await nodeDirectory(ctx.services).heardFrom({ accountId: ctx.accountId, region: ctx.region }, instanceId, ctx.now().getTime(), channel);
  } catch (err) {
    ctx.services.log.warn({ err, instanceId }, "recording contact with a node failed");
  }
}

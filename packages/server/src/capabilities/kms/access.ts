import { decide } from "../../iam/authorize.js";
import { ApiError } from "../../errors.js";
import type { RequestContext, ResourceRef } from "../../runtime.js";
import { getTags } from "../tags/index.js";
import { type KeyRow, keyArn } from "./keys.js";

/** Tag store resource type of KMS keys (aws:ResourceTag conditions read these). */
export const KEY_TAG_TYPE = "KMSKey";

export function keyRef(ctx: RequestContext, keyId: string): ResourceRef {
  return { arn: keyArn(ctx, keyId), tags: () => getTags(ctx.services.db, ctx, KEY_TAG_TYPE, keyId) };
}

/**
 * Authorizes another capability's use of a key on the caller's behalf. Customer managed keys need
 * `action` in the caller's policies. AWS managed keys (alias/aws/ssm) are usable by every principal
 * of the account through the service, as their AWS key policy allows; only an explicit deny refuses.
 */
export async function authorizeKeyUse(ctx: RequestContext, action: string, key: KeyRow): Promise<void> {
  const ref = keyRef(ctx, key.key_id);
  if (key.key_manager !== "AWS") return ctx.authorize(action, [ref]);
  const facts = { principal: ctx.principal, policies: ctx.policies, sourceIp: ctx.sourceIp, secure: ctx.secure, region: ctx.region, now: ctx.now().getTime() };
  if ((await decide(facts, action, ref)) === "ExplicitDeny") {
    throw new ApiError(
      "AccessDeniedException",
      `User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${ref.arn} with an explicit deny in an identity-based policy`,
    );
  }
}

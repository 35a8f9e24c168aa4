import { ApiError } from "../../http/errors.js";
import { decide, requestContext } from "../../iam/authorize.js";
import type { RequestContext } from "../../runtime.js";

/**
 * Authorizes ssm:CreateDocument on the new document's ARN with the request's tag condition keys
 * (aws:RequestTag/<key>, aws:TagKeys), which the generic check does not know, so policies that
 * require tags on new documents work as on AWS.
 */
export async function authorizeCreate(ctx: RequestContext, arn: string, tags: { Key: string; Value: string }[]): Promise<void> {
  const facts = { principal: ctx.principal, policies: ctx.policies, sourceIp: ctx.sourceIp, secure: ctx.secure, region: ctx.region, now: ctx.now().getTime() };
  const context = {
    ...requestContext(facts),
    "aws:tagkeys": tags.length ? tags.map((t) => t.Key) : undefined,
    ...Object.fromEntries(tags.map((t) => [`aws:requesttag/${t.Key.toLowerCase()}`, t.Value])),
  };
  const decision = await decide(facts, "ssm:CreateDocument", { arn, tags: async () => ({}) }, context);
  if (decision === "Allow") return;
  const why =
    decision === "ExplicitDeny" ? "with an explicit deny in an identity-based policy" : "because no identity-based policy allows the ssm:CreateDocument action";
  throw new ApiError("AccessDeniedException", `User: ${ctx.principal.arn} is not authorized to perform: ssm:CreateDocument on resource: ${arn} ${why}`);
}

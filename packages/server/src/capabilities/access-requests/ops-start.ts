import type { StartAccessRequestRequest, StartAccessRequestResponse } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { PolicyDocument } from "../../iam/policy.js";
import { op, type RequestContext } from "../../runtime.js";
import { getNode, nodeArn, nodeTags } from "../nodes/index.js";
import { decideAccess } from "./approval-policies.js";
import { accessRequestEvent } from "./events.js";
import { insertAccessRequest } from "./store.js";
import type { AccessRequestRow } from "./tables.js";

/** An automatically approved request's access window: AWS fixes it at 1 hour. */
export const AUTO_APPROVAL_WINDOW_MS = 60 * 60 * 1000;

const NODE_ID = /^mi-[0-9a-f]{17}$/;

function validation(message: string): ApiError {
  return new ApiError("ValidationException", message);
}

/** The one node a request names: Targets must be exactly Key=InstanceIds,Values=<one node id>. */
function targetOf(input: StartAccessRequestRequest): string {
  const targets = input.Targets ?? [];
  const hint = "give exactly one target: Key=InstanceIds,Values=<managed node id>";
  if (targets.length !== 1) throw validation(`Targets names ${targets.length} targets; an access request is for one node, so ${hint}.`);
  const [t] = targets;
  if (t.Key !== "InstanceIds") throw validation(`Targets key ${t.Key} is not supported for access requests; ${hint}.`);
  const values = t.Values ?? [];
  if (values.length !== 1) throw validation(`Targets InstanceIds holds ${values.length} values; ${hint}.`);
  if (!NODE_ID.test(values[0])) throw validation(`${values[0]} is not a managed node id (mi- and 17 hexadecimal digits); ${hint}.`);
  return values[0];
}

/** What the access-request service may do on the requester's behalf: open and decide the request's OpsItem. */
const OPS_ITEM_WRITER = (ctx: RequestContext): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["ssm:CreateOpsItem", "ssm:UpdateOpsItem", "ssm:DeleteOpsItem", "ssm:AddTagsToResource"],
      Resource: [`arn:aws:ssm:${ctx.region}:${ctx.accountId}:opsitem/*`],
    },
  ],
});

async function opsItemCall(ctx: RequestContext, operation: string, input: Record<string, unknown>, requestId?: string) {
  return ctx.services.api.invoke({
    service: "ssm",
    operation,
    input,
    principal: ctx.principal,
    policies: [OPS_ITEM_WRITER(ctx)],
    region: ctx.region,
    source: `access-request${requestId ? `:${requestId}` : ""}`,
  });
}

export const startAccessRequest = op<StartAccessRequestRequest, StartAccessRequestResponse, { target: string; tags: Record<string, string> }>({
  service: "ssm",
  name: "StartAccessRequest",
  async resources(ctx, input) {
    const target = targetOf(input);
    const node = await getNode(ctx.services.db, ctx, target, ctx.now().getTime());
    if (!node || node.deregistered) {
      throw new ApiError("ResourceNotFoundException", `Managed node ${target} is not registered in ${ctx.region}; check the node id in Targets.`);
    }
    const tags = await nodeTags(ctx.services.db, ctx, target);
    return { resources: [{ arn: nodeArn(ctx, target), tags: async () => tags }], prepared: { target, tags } };
  },
  async handle(ctx, input, { target, tags }) {
    const requester = ctx.principal.arn;
    const reason = String(input.Reason);
    const outcome = await decideAccess(ctx, { principal: ctx.principal, instanceId: target, nodeTags: tags });
    if (outcome.kind !== "auto-approved") {
      const why =
        outcome.kind === "denied"
          ? `the deny-access policy ${outcome.policy} forbids automatic approval of access to ${target} (${outcome.statements.join(", ")}), and openssm has no manual approval policies yet`
          : `${outcome.detail} for ${target}`;
      await ctx.transaction(async (tx) => {
        tx.publish(
          accessRequestEvent(ctx, { requester, target, status: "Rejected", reason: why, policy: outcome.kind === "denied" ? outcome.policy : undefined }),
        );
      });
      throw new ApiError("AccessDeniedException", `Access to ${target} was not approved: ${why}. Ask an administrator to change the approval policies.`);
    }
    const now = ctx.now().getTime();
    const endsAt = now + AUTO_APPROVAL_WINDOW_MS;
    const details = { requester, targetId: target, reason, approvalPolicy: outcome.policy, grantEndTime: new Date(endsAt).toISOString() };
    const created = await opsItemCall(ctx, "CreateOpsItem", {
      Title: `Just-in-time access request for ${target}`,
      Description: reason,
      Source: "SSM",
      OpsItemType: "/aws/accessrequest",
      OperationalData: {
        "/aws/resources": { Type: "SearchableString", Value: JSON.stringify([{ arn: nodeArn(ctx, target) }]) },
        "/openssm/accessrequest": { Type: "SearchableString", Value: JSON.stringify(details) },
      },
      ...(input.Tags?.length ? { Tags: input.Tags } : {}),
    });
    const id = String(created.OpsItemId);
    const row: AccessRequestRow = {
      access_request_id: id,
      account_id: ctx.accountId,
      region: ctx.region,
      requester_arn: requester,
      target,
      reason,
      status: "Approved",
      decision: `auto-approved by ${outcome.policy} (${outcome.statements.join(", ")})`,
      created_at: now,
      decided_at: now,
      grant_ends_at: endsAt,
      token_principal_arn: null,
    };
    try {
      await ctx.transaction(async (tx) => {
        await insertAccessRequest(tx.db, row);
        tx.publish(
          accessRequestEvent(ctx, {
            accessRequestId: id,
            requester,
            target,
            status: "Approved",
            reason: row.decision,
            policy: outcome.policy,
            statements: outcome.statements,
            grantEndsAt: endsAt,
          }),
        );
      });
    } catch (e) {
      // Nothing half-created: without its request the OpsItem goes too.
      await opsItemCall(ctx, "DeleteOpsItem", { OpsItemId: id }, id).catch((err) =>
        ctx.services.log.warn({ err, id }, "could not remove the OpsItem of a failed access request"),
      );
      throw e;
    }
    // The grant stands once committed; the OpsItem's status follows it (a failure here is logged, not the caller's).
    await opsItemCall(ctx, "UpdateOpsItem", { OpsItemId: id, Status: "Approved" }, id).catch((err) =>
      ctx.services.log.warn({ err, id }, "could not mark the access request's OpsItem Approved"),
    );
    return { AccessRequestId: id };
  },
});

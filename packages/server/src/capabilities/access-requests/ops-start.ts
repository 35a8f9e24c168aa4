import type { StartAccessRequestRequest, StartAccessRequestResponse } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op } from "../../runtime.js";
import { getNode, nodeArn, nodeTags } from "../nodes/index.js";
import { openOpsItem } from "../ops-center/index.js";
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
    const opsItem = {
      Title: `Just-in-time access request for ${target}`,
      Description: reason,
      Source: "SSM",
      OpsItemType: "/aws/accessrequest",
      OperationalData: {
        "/aws/resources": { Type: "SearchableString" as const, Value: JSON.stringify([{ arn: nodeArn(ctx, target) }]) },
        "/openssm/accessrequest": { Type: "SearchableString" as const, Value: JSON.stringify(details) },
      },
      ...(input.Tags?.length ? { Tags: input.Tags } : {}),
    };
    const decision = `auto-approved by ${outcome.policy} (${outcome.statements.join(", ")})`;
    // The request, its OpsItem (opened Approved: the decision is made) and the event commit together.
    const id = await ctx.transaction(async (tx) => {
      const { id } = await openOpsItem(tx, ctx.scope, requester, now, opsItem, "Approved");
      const row: AccessRequestRow = {
        access_request_id: id,
        account_id: ctx.accountId,
        region: ctx.region,
        requester_arn: requester,
        target,
        reason,
        status: "Approved",
        decision,
        created_at: now,
        decided_at: now,
        grant_ends_at: endsAt,
        token_principal_arn: null,
      };
      await insertAccessRequest(tx.db, row);
      tx.publish(
        accessRequestEvent(ctx, {
          accessRequestId: id,
          requester,
          target,
          status: "Approved",
          reason: decision,
          policy: outcome.policy,
          statements: outcome.statements,
          grantEndsAt: endsAt,
        }),
      );
      return id;
    });
    return { AccessRequestId: id };
  },
});

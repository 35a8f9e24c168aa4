import { randomUUID } from "node:crypto";
import type { StartAccessRequestRequest, StartAccessRequestResponse } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op, type RequestContext } from "../../runtime.js";
import { kickExecution, prepareChangeRequestAutomation, writeChangeRequestAutomation } from "../automation/index.js";
import { getNode, nodeArn, nodeTags } from "../nodes/index.js";
import { insertOpsItem, openOpsItem, opsItemRowOf } from "../ops-center/index.js";
import { type ApprovalOutcome, decideAccess } from "./approval-policies.js";
import { accessRequestEvent } from "./events.js";
import { manualPolicyFor, resolveApprovers, type StoredManualPolicy } from "./manual-policy.js";
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
    const outcome = await decideAccess(ctx, { principal: ctx.principal, instanceId: target, nodeTags: tags });
    if (outcome.kind === "auto-approved") return { AccessRequestId: await autoApprove(ctx, input, target, outcome) };
    // Not approved automatically (a deny-access policy forbids it, or no auto-approval statement permits it): manual approval.
    const manual = await manualPolicyFor(ctx, tags);
    if (manual.kind === "policy") return { AccessRequestId: await startManualApproval(ctx, input, target, manual.policy, manual.matched) };
    const notAuto =
      outcome.kind === "denied"
        ? `the deny-access policy ${outcome.policy} forbids automatic approval of access to ${target} (${outcome.statements.join(", ")})`
        : `${outcome.detail} for ${target}`;
    const why =
      manual.kind === "conflict"
        ? `${notAuto}, and the manual approval policies ${manual.detail} both apply to it: a node may be covered by one tag-specific manual approval policy only, so change those policies' targets or the node's tags`
        : `${notAuto}, and no manual approval policy applies to it`;
    return refuse(ctx, requester, target, why, outcome.kind === "denied" ? outcome.policy : undefined);
  },
});

/** Records the refusal (event) and answers AccessDeniedException with the reason. */
async function refuse(ctx: RequestContext, requester: string, target: string, why: string, policy?: string): Promise<never> {
  await ctx.transaction(async (tx) => {
    tx.publish(accessRequestEvent(ctx, { requester, target, status: "Rejected", reason: why, policy }));
  });
  throw new ApiError("AccessDeniedException", `Access to ${target} was not approved: ${why}. Ask an administrator to change the approval policies.`);
}

function opsItemInput(
  ctx: RequestContext,
  input: StartAccessRequestRequest,
  target: string,
  details: Record<string, unknown>,
  extra: Record<string, string> = {},
) {
  return {
    Title: `Just-in-time access request for ${target}`,
    Description: String(input.Reason),
    Source: "SSM",
    OpsItemType: "/aws/accessrequest",
    OperationalData: {
      "/aws/resources": { Type: "SearchableString" as const, Value: JSON.stringify([{ arn: nodeArn(ctx, target) }]) },
      "/openssm/accessrequest": { Type: "SearchableString" as const, Value: JSON.stringify(details) },
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, { Type: "SearchableString" as const, Value: v }])),
    },
    ...(input.Tags?.length ? { Tags: input.Tags } : {}),
  };
}

async function autoApprove(
  ctx: RequestContext,
  input: StartAccessRequestRequest,
  target: string,
  outcome: Extract<ApprovalOutcome, { kind: "auto-approved" }>,
): Promise<string> {
  const requester = ctx.principal.arn;
  const reason = String(input.Reason);
  const now = ctx.now().getTime();
  const endsAt = now + AUTO_APPROVAL_WINDOW_MS;
  const details = { requester, targetId: target, reason, approvalPolicy: outcome.policy, grantEndTime: new Date(endsAt).toISOString() };
  const decision = `auto-approved by ${outcome.policy} (${outcome.statements.join(", ")})`;
  // The request, its OpsItem (opened Approved: the decision is made) and the event commit together.
  return ctx.transaction(async (tx) => {
    const { id } = await openOpsItem(tx, ctx.scope, requester, now, opsItemInput(ctx, input, target, details), "Approved");
    await insertAccessRequest(tx.db, {
      ...newRow(ctx, id, target, reason, now),
      status: "Approved",
      decision,
      decided_at: now,
      grant_ends_at: endsAt,
      approval_policy: outcome.policy,
      ops_item_status: "Approved",
    });
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
}

function newRow(ctx: RequestContext, id: string, target: string, reason: string, now: number): AccessRequestRow {
  return {
    access_request_id: id,
    account_id: ctx.accountId,
    region: ctx.region,
    requester_arn: ctx.principal.arn,
    target,
    reason,
    status: "Pending",
    decision: "",
    created_at: now,
    decided_at: null,
    grant_ends_at: null,
    token_principal_arn: null,
    execution_id: null,
    approval_policy: null,
    access_duration_ms: null,
    ops_item_status: null,
  };
}

/** The tag AWS puts on the automation executions of just-in-time access requests (approvers' policies key on it). */
export const JIT_EXECUTION_TAG = { Key: "SystemsManagerJustInTimeNodeAccessManaged", Value: "true" };

/**
 * A request a manual approval policy covers: the /aws/accessrequest OpsItem (Pending), the request's
 * row and an automation execution (AutomationSubtype AccessRequest, tagged
 * SystemsManagerJustInTimeNodeAccessManaged=true) with one aws:approve step per approval level,
 * all in one transaction. The requester is never one of the approvers: a level that would need the
 * requester's own approval to pass refuses the request.
 */
async function startManualApproval(
  ctx: RequestContext,
  input: StartAccessRequestRequest,
  target: string,
  stored: StoredManualPolicy,
  matched: string,
): Promise<string> {
  const requester = ctx.principal.arn;
  const reason = String(input.Reason);
  const { policy, name } = stored;
  const levels: { approvers: string[]; min: number }[] = [];
  for (const [i, level] of policy.levels.entries()) {
    const { arns, missing } = await resolveApprovers(ctx, level.approvers);
    if (missing.length) {
      await refuse(
        ctx,
        requester,
        target,
        `approval level ${i + 1} of the manual approval policy ${name} names ${missing.join(", ")}, which no longer exist(s) in IAM`,
        name,
      );
    }
    const others = arns.filter((a) => a !== requester);
    if (others.length < level.minRequiredApprovals) {
      await refuse(
        ctx,
        requester,
        target,
        `${requester} is an approver of approval level ${i + 1} of the manual approval policy ${name}, and a requester can't approve their own request: without them the level has ${others.length} approver(s) for ${level.minRequiredApprovals} required approval(s)`,
        name,
      );
    }
    levels.push({ approvers: others, min: level.minRequiredApprovals });
  }
  const now = ctx.now().getTime();
  const executionId = randomUUID();
  const durationMs = policy.accessDurationHours * 60 * 60 * 1000;
  const details = {
    requester,
    targetId: target,
    reason,
    approvalPolicy: name,
    matchedTargets: matched,
    accessDurationHours: policy.accessDurationHours,
    approvalLevels: levels.length,
    automationExecutionId: executionId,
  };
  const { row: opsItemRow, tags: opsItemTags } = opsItemRowOf(
    ctx.scope,
    requester,
    now,
    opsItemInput(ctx, input, target, details, { "/openssm/accessrequest/execution": executionId }),
    "Pending",
  );
  const id = opsItemRow.ops_item_id;
  const runbook = {
    schemaVersion: "0.3",
    description: `Approvals of just-in-time access request ${id}: ${requester} asks for ${policy.accessDurationHours} hour(s) of access to ${target} (manual approval policy ${name}).`,
    mainSteps: levels.map((level, i) => ({
      name: `ApprovalLevel${i + 1}`,
      action: "aws:approve",
      ...(i === levels.length - 1 ? { isEnd: true } : {}),
      inputs: {
        Approvers: level.approvers,
        MinRequiredApprovals: level.min,
        Message: `Level ${i + 1} of ${levels.length}: ${requester} asks for ${policy.accessDurationHours} hour(s) of access to ${target} (access request ${id}). Reason: ${reason}`,
      },
    })),
  };
  const prepared = await prepareChangeRequestAutomation(ctx, {
    executionId,
    documentName: name,
    documentVersion: String(stored.version),
    tags: [JIT_EXECUTION_TAG],
    changeRequest: { runbook, opsItemId: id, info: { Runbooks: [] }, subtype: "AccessRequest" },
  });
  await ctx.transaction(async (tx) => {
    await insertOpsItem(tx, ctx.scope, opsItemRow, opsItemTags);
    await insertAccessRequest(tx.db, {
      ...newRow(ctx, id, target, reason, now),
      decision: `waiting for ${levels.length} approval level(s) of ${name}`,
      execution_id: executionId,
      approval_policy: name,
      access_duration_ms: durationMs,
      ops_item_status: "Pending",
    });
    await writeChangeRequestAutomation(tx, ctx, prepared);
    tx.publish(
      accessRequestEvent(ctx, {
        accessRequestId: id,
        requester,
        target,
        status: "Pending",
        reason: `manual approval policy ${name} (${matched}) requires ${levels.length} approval level(s)`,
        policy: name,
        executionId,
      }),
    );
  });
  kickExecution(ctx.services, executionId);
  return id;
}

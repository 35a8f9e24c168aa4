import { ApiError } from "../../errors.js";
import { getPrincipal } from "../../iam/principals.js";
import type { PolicyDocument } from "../../iam/policy.js";
import type { ServerSlot, Services } from "../../runtime.js";
import { getAutomationStatus } from "../automation/index.js";
import { accessRequestEvent } from "./events.js";
import { decide, findByExecution, getAccessRequestRow, setOpsItemStatus, unsettled } from "./store.js";
import type { AccessRequestRow } from "./tables.js";

/** What just-in-time node access itself may do when it carries a decision over to the request's OpsItem. */
const SERVICE_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["ssm:UpdateOpsItem"], Resource: "*" }],
} as PolicyDocument;

/** OpsItem statuses a decision is shown as (an expired grant leaves the OpsItem Approved). */
const OPS_ITEM_STATUSES = new Set(["Approved", "Rejected"]);

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/**
 * A manual request whose approvals ended is decided: its automation execution succeeded (every level
 * approved) → Approved, and the grant runs for the policy's access duration from the last approval;
 * anything else (a rejection, the approvals timed out, the execution was stopped) → Rejected, no grant.
 * Recorded once (the Pending → decided update is conditional), with its event, in one transaction.
 */
async function decideFromExecution(services: Services, row: AccessRequestRow): Promise<void> {
  if (row.status !== "Pending" || !row.execution_id) return;
  const exec = await getAutomationStatus(services, row.execution_id);
  if (!exec?.ended) return;
  const at = exec.endedAt ?? services.clock.now();
  const approved = exec.status === "Success";
  const grantEndsAt = approved ? at + Number(row.access_duration_ms) : null;
  const decision = approved
    ? `approved by every approval level of ${row.approval_policy} (automation execution ${row.execution_id}); access until ${iso(Number(grantEndsAt))}`
    : `${exec.status === "TimedOut" ? "the approvers did not decide in time" : (exec.failureMessage ?? `the approvals ended ${exec.status}`)} (${row.approval_policy}, automation execution ${row.execution_id})`;
  const scope = { accountId: row.account_id, region: row.region };
  await services.transaction(async (tx) => {
    const status = approved ? "Approved" : "Rejected";
    if (!(await decide(tx.db, row.access_request_id, { status, decision, decided_at: at, grant_ends_at: grantEndsAt }))) return;
    tx.publish(
      accessRequestEvent(scope, {
        accessRequestId: row.access_request_id,
        requester: row.requester_arn,
        target: row.target,
        status,
        reason: decision,
        policy: row.approval_policy ?? undefined,
        executionId: row.execution_id ?? undefined,
        grantEndsAt: grantEndsAt ?? undefined,
      }),
    );
  });
}

/**
 * Carries a decision over to the request's OpsItem (status and the decision in its operational data,
 * so it is in the OpsItem's timeline) through an in-process UpdateOpsItem, audited with source
 * access-requests:<id>.
 */
async function showOnOpsItem(services: Services, row: AccessRequestRow): Promise<void> {
  if (!OPS_ITEM_STATUSES.has(row.status) || row.ops_item_status === row.status) return;
  const principal = await getPrincipal(services.db, row.requester_arn);
  if (principal) {
    const data: Record<string, { Value: string; Type: string }> = {
      "/openssm/accessrequest/decision": { Value: `${row.status} at ${iso(Number(row.decided_at))}: ${row.decision}`.slice(0, 2000), Type: "String" },
    };
    if (row.grant_ends_at !== null) data["/openssm/accessrequest/grant-end-time"] = { Value: iso(Number(row.grant_ends_at)), Type: "SearchableString" };
    try {
      await services.api.invoke({
        service: "ssm",
        operation: "UpdateOpsItem",
        input: { OpsItemId: row.access_request_id, Status: row.status, OperationalData: data },
        principal,
        policies: [SERVICE_POLICY],
        region: row.region,
        source: `access-requests:${row.access_request_id}`,
      });
    } catch (e) {
      // A refusal (the OpsItem was deleted meanwhile, ...) will not change on a retry: it is recorded as
      // carried over, so the scheduler's pass does not repeat it every second. A fault of ours is retried.
      if (!(e instanceof ApiError) || e.status >= 500) throw e;
      services.log.warn(
        { accessRequestId: row.access_request_id, err: e.code, message: e.message },
        "access request: its decision could not be shown on its OpsItem; the request itself is decided",
      );
    }
  } else {
    services.log.warn({ accessRequestId: row.access_request_id }, "access request: the requester no longer exists; its OpsItem keeps its status");
  }
  await setOpsItemStatus(services.db, row.access_request_id, row.status);
}

async function settle(services: Services, id: string): Promise<void> {
  const before = await getAccessRequestRow(services.db, id);
  if (!before?.execution_id) return;
  await decideFromExecution(services, before);
  const after = await getAccessRequestRow(services.db, id);
  if (after) await showOnOpsItem(services, after);
}

/** Settles of this server, one at a time per request. */
const QUEUE: ServerSlot<Map<string, Promise<void>>> = { name: "access-requests-settle", create: () => new Map() };

/** Decides a manual request whose approvals ended and shows the decision on its OpsItem (after any settle of it that runs now). */
export function settleNow(services: Services, id: string): Promise<void> {
  const queue = services.own(QUEUE);
  const next = (queue.get(id) ?? Promise.resolve())
    .then(() => settle(services, id))
    .catch((e) => services.log.warn({ err: e, accessRequestId: id }, "access request: its decision could not be recorded yet"));
  queue.set(id, next);
  void next.finally(() => {
    if (queue.get(id) === next) queue.delete(id);
  });
  return next;
}

/** The scheduler's pass: requests still pending and decisions not yet on their OpsItems (missed events, restarts). */
export async function settleOpen(services: Services): Promise<void> {
  await Promise.all((await unsettled(services.db)).map((r) => settleNow(services, r.access_request_id)));
}

/** Automation's events about an access request's execution settle it at once. */
export function subscribeToApprovals(services: Services): () => void {
  return services.events.subscribe((event) => {
    if (event["detail-type"] !== "EC2 Automation Execution Status-change Notification") return;
    const id = (event.detail as Record<string, unknown>)?.ExecutionId;
    if (typeof id !== "string") return;
    void findByExecution(services.db, id)
      .then((row) => (row ? settleNow(services, row.access_request_id) : undefined))
      .catch((e) => services.log.warn({ err: e, executionId: id }, "access request: lookup by execution failed"));
  });
}

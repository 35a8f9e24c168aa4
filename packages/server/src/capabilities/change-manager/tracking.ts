import { getPrincipal } from "../../iam/principals.js";
import type { ServerSlot, Services } from "../../runtime.js";
import { getAutomationStatus } from "../automation/index.js";
import { STEP } from "./compose.js";
import { serviceCall } from "./service-calls.js";
import { type ChangeRequestRow, changeDb } from "./tables.js";

/** The OpsItem status a change request's execution status stands for (AWS's /aws/changerequest statuses). */
const OPS_STATUS: Record<string, string> = {
  PendingApproval: "PendingApproval",
  Scheduled: "Scheduled",
  RunbookInProgress: "RunbookInProgress",
  PendingChangeCalendarOverride: "PendingChangeCalendarOverride",
  ChangeCalendarOverrideRejected: "ChangeCalendarOverrideRejected",
  Rejected: "Rejected",
  Success: "CompletedWithSuccess",
  Failed: "CompletedWithFailure",
  TimedOut: "CompletedWithFailure",
  Cancelled: "Cancelled",
};

interface StepView {
  StepName?: string;
  Action?: string;
  StepStatus?: string;
  FailureMessage?: string;
  ExecutionEndTime?: number;
  Outputs?: Record<string, string[]>;
}

/** One fact for the OpsItem's timeline: a status change and/or operational data, written once (by key). */
interface Fact {
  key: string;
  status?: string;
  data?: Record<string, string>;
}

const iso = (seconds: number | undefined) => (seconds === undefined ? "" : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z"));

function decisionsOf(step: StepView): string {
  const raw = step.Outputs?.ApproverDecisions ?? [];
  const parts = raw.map((d) => {
    try {
      const v = JSON.parse(d) as { Approver?: string; Decision?: string; Comment?: string };
      return `${v.Decision ?? "?"} by ${v.Approver ?? "?"}${v.Comment ? ` (${v.Comment})` : ""}`;
    } catch {
      return d;
    }
  });
  return parts.join("; ");
}

/** What the OpsItem should show for the execution as it is now, in the order it happened. */
function factsOf(exec: Record<string, any>): Fact[] {
  const steps = (exec.StepExecutions ?? []) as StepView[];
  const facts: Fact[] = [];
  const approvals = steps.filter((s) => s.Action === "aws:approve" && s.StepName !== STEP.override);
  for (const s of approvals) {
    if (s.StepStatus !== "Success" && s.StepStatus !== "Failed" && s.StepStatus !== "TimedOut") continue;
    const outcome = s.StepStatus === "Success" ? "Approved" : s.StepStatus === "TimedOut" ? "Timed out" : "Rejected";
    const who = decisionsOf(s) || s.FailureMessage || "";
    facts.push({
      key: `approval:${s.StepName}:${s.StepStatus}`,
      data: { [`/openssm/changerequest/approval/${s.StepName}`]: `${outcome} at ${iso(s.ExecutionEndTime)}${who ? `: ${who}` : ""}` },
    });
  }
  const status = String(exec.AutomationExecutionStatus ?? "");
  const approvedAll = approvals.length > 0 && approvals.every((s) => s.StepStatus === "Success");
  const pastApproval = !["PendingApproval", "Pending", "Rejected"].includes(status);
  if (pastApproval && (approvedAll || approvals.length === 0)) facts.push({ key: "status:Approved", status: "Approved" });
  for (const s of steps) {
    if (s.StepName === STEP.calendar && s.StepStatus && ["Success", "Failed"].includes(s.StepStatus)) {
      const text = s.StepStatus === "Success" ? `OPEN at ${iso(s.ExecutionEndTime)}` : `CLOSED at ${iso(s.ExecutionEndTime)}: ${s.FailureMessage ?? ""}`;
      facts.push({ key: `calendar:${s.StepStatus}`, data: { "/openssm/changerequest/calendar-at-scheduled-time": text } });
    }
    if (s.StepName === STEP.override && s.StepStatus && ["Success", "Failed"].includes(s.StepStatus)) {
      facts.push({
        key: `override:${s.StepStatus}`,
        status: s.StepStatus === "Success" ? "ChangeCalendarOverrideApproved" : undefined,
        data: { "/openssm/changerequest/calendar-override": decisionsOf(s) || s.FailureMessage || s.StepStatus },
      });
    }
  }
  const ops = OPS_STATUS[status];
  if (ops && ops !== "Approved") {
    const ended = exec.ExecutionEndTime !== undefined;
    facts.push({
      key: `status:${ops}`,
      status: ops,
      data: ended
        ? { "/openssm/changerequest/outcome": `${status} at ${iso(exec.ExecutionEndTime)}${exec.FailureMessage ? `: ${exec.FailureMessage}` : ""}` }
        : undefined,
    });
  }
  return facts;
}

/** Brings one change request's OpsItem up to date with its execution (idempotent: each fact is written once). */
async function sync(services: Services, executionId: string): Promise<void> {
  const d = changeDb(services.db);
  const row = await d.selectFrom("change_requests").selectAll().where("execution_id", "=", executionId).executeTakeFirst();
  if (!row || row.done) return;
  const status = await getAutomationStatus(services, executionId);
  if (!status) return;
  const seen = `${status.status}|${status.currentStepName ?? ""}`.slice(0, 200);
  if (seen === row.seen) return;
  const principal = await getPrincipal(services.db, row.requester_arn);
  if (!principal) return;
  const call = (operation: string, input: Record<string, unknown>) => serviceCall(services, principal, row.region, executionId, operation, input);
  const exec = (await call("GetAutomationExecution", { AutomationExecutionId: executionId })).AutomationExecution as Record<string, any>;
  const recorded = new Set(JSON.parse(row.recorded) as string[]);
  for (const fact of factsOf(exec)) {
    if (recorded.has(fact.key)) continue;
    await call("UpdateOpsItem", {
      OpsItemId: row.ops_item_id,
      ...(fact.status ? { Status: fact.status } : {}),
      ...(fact.data
        ? { OperationalData: Object.fromEntries(Object.entries(fact.data).map(([k, v]) => [k, { Value: v.slice(0, 2000), Type: "String" }])) }
        : {}),
    });
    recorded.add(fact.key);
    await d
      .updateTable("change_requests")
      .set({ recorded: JSON.stringify([...recorded]) })
      .where("execution_id", "=", executionId)
      .execute();
  }
  await d
    .updateTable("change_requests")
    .set({ seen, done: status.ended ? 1 : 0 })
    .where("execution_id", "=", executionId)
    .execute();
}

/** Syncs of this server, one at a time per change request. */
const QUEUE: ServerSlot<Map<string, Promise<void>>> = { name: "change-manager-tracking", create: () => new Map() };

/** Brings the change request's OpsItem up to date soon (after any sync of it that runs now). */
export function trackNow(services: Services, executionId: string): Promise<void> {
  const queue = services.own(QUEUE);
  const next = (queue.get(executionId) ?? Promise.resolve())
    .then(() => sync(services, executionId))
    .catch((e) => services.log.warn({ err: e, executionId }, "change request: the OpsItem could not be brought up to date"));
  queue.set(executionId, next);
  void next.finally(() => {
    if (queue.get(executionId) === next) queue.delete(executionId);
  });
  return next;
}

/** The scheduler's pass: every change request not yet ended (what a missed event or a restart left behind). */
export async function trackOpen(services: Services): Promise<void> {
  const open: Pick<ChangeRequestRow, "execution_id">[] = await changeDb(services.db)
    .selectFrom("change_requests")
    .select("execution_id")
    .where("done", "=", 0)
    .orderBy("created_at")
    .limit(200)
    .execute();
  await Promise.all(open.map((r) => trackNow(services, r.execution_id)));
}

/** Automation's events about change requests' executions bring their OpsItems up to date at once. */
export function subscribeToExecutions(services: Services): () => void {
  return services.events.subscribe((event) => {
    if (!String(event["detail-type"]).startsWith("EC2 Automation")) return;
    const id = (event.detail as Record<string, unknown>)?.ExecutionId;
    if (typeof id === "string") void trackNow(services, id);
  });
}

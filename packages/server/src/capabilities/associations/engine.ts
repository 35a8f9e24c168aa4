import { randomUUID } from "node:crypto";
import { jobMessageId, type SendCommandPayload, Topic } from "@openssm/protocol";
import { sendToNode } from "../../agents/index.js";
import type { Services, Tx } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { writeCompliance } from "../compliance/index.js";
import { setNodeAssociationStatus } from "../nodes/index.js";
import { concurrencyLimit, errorLimit } from "./spec.js";
import { type AssociationRow, getExecution, type InstanceRow, instanceRow, specOf, type TargetRow, targetCounts, targetOf, waitingTargets } from "./store.js";
import { associationDb } from "./tables.js";

/** Target statuses that are over. */
export const TERMINAL = new Set(["Success", "Failed", "TimedOut", "Skipped", "Cancelled"]);
const FAILED = new Set(["Failed", "TimedOut"]);

/** Nodes to tell, once the transaction committed, that associations wait for them. */
export type Nudges = Map<string, { scope: Scope; associationIds: Set<string> }>;

export function addNudge(nudges: Nudges, scope: Scope, instanceId: string, associationId: string): void {
  const n = nudges.get(instanceId) ?? { scope, associationIds: new Set() };
  n.associationIds.add(associationId);
  nudges.set(instanceId, n);
}

async function upsertInstance(tx: Tx, a: AssociationRow, instanceId: string, set: Partial<InstanceRow>, now: number): Promise<void> {
  const d = associationDb(tx.db);
  const existing = await instanceRow(tx.db, a.association_id, instanceId);
  if (existing) {
    await d.updateTable("association_instances").set(set).where("association_id", "=", a.association_id).where("instance_id", "=", instanceId).execute();
    return;
  }
  await d
    .insertInto("association_instances")
    .values({
      association_id: a.association_id,
      instance_id: instanceId,
      account_id: a.account_id,
      region: a.region,
      execution_id: null,
      pending: 0,
      status: null,
      detailed_status: null,
      execution_date: null,
      execution_summary: null,
      error_code: null,
      output_url: null,
      reported_version: null,
      last_execution_at: null,
      last_success_at: null,
      added_at: now,
      ...set,
    })
    .execute();
}

/** Adds the nodes to the association without applying it now (they wait for the schedule). */
export async function attachNodes(tx: Tx, a: AssociationRow, nodes: string[], now: number): Promise<void> {
  for (const id of nodes) await upsertInstance(tx, a, id, {}, now);
}

/**
 * Starts one application of the association on these nodes: an execution with a target row per
 * node; as many as MaxConcurrency allows are released (asked to apply it now), the rest wait. A node
 * still busy with an earlier application is Skipped for this one. No nodes: no execution ("").
 */
export async function startExecution(tx: Tx, a: AssociationRow, nodes: string[], trigger: string, now: number, nudges: Nudges): Promise<string> {
  if (nodes.length === 0) return "";
  const spec = specOf(a);
  const d = associationDb(tx.db);
  const executionId = randomUUID();
  const scope = { accountId: a.account_id, region: a.region };
  const busy = new Set<string>();
  for (const id of nodes) {
    const row = await instanceRow(tx.db, a.association_id, id);
    if (row?.pending === 1) busy.add(id);
  }
  const free = nodes.filter((id) => !busy.has(id));
  const limit = concurrencyLimit(spec.MaxConcurrency, free.length);
  await d
    .insertInto("association_executions")
    .values({
      execution_id: executionId,
      association_id: a.association_id,
      account_id: a.account_id,
      region: a.region,
      version: a.version,
      status: free.length ? "Pending" : "Success",
      detailed_status: free.length ? "Pending" : "Success",
      trigger,
      created_at: now,
      finished_at: free.length ? null : now,
    })
    .execute();
  const rows: TargetRow[] = nodes.map((id) => {
    const skipped = busy.has(id);
    const released = !skipped && free.indexOf(id) < limit;
    return {
      execution_id: executionId,
      association_id: a.association_id,
      instance_id: id,
      status: skipped ? "Skipped" : released ? "Pending" : "Waiting",
      detailed_status: skipped ? "PreviousApplicationInProgress" : released ? "Pending" : "Waiting",
      released_at: released ? now : null,
      updated_at: now,
      summary: skipped ? "The node was still applying an earlier execution of this association." : null,
      error_code: null,
      output_url: null,
    };
  });
  for (let i = 0; i < rows.length; i += 500)
    await d
      .insertInto("association_targets")
      .values(rows.slice(i, i + 500))
      .execute();
  for (const r of rows) {
    if (r.status === "Pending") {
      await upsertInstance(tx, a, r.instance_id, { execution_id: executionId, pending: 1, detailed_status: "Pending" }, now);
      addNudge(nudges, scope, r.instance_id, a.association_id);
    } else if (r.status === "Waiting") {
      await upsertInstance(tx, a, r.instance_id, { execution_id: executionId }, now);
    }
  }
  await d.updateTable("associations").set({ last_execution_at: now }).where("association_id", "=", a.association_id).execute();
  return executionId;
}

/**
 * Releases waiting nodes as others finish, stops at MaxErrors, and closes the execution when every
 * node is done. Works from counts per status, so a report costs the same on 10 nodes as on 10,000.
 */
export async function advanceExecution(tx: Tx, a: AssociationRow, executionId: string, now: number, nudges: Nudges): Promise<void> {
  const d = associationDb(tx.db);
  const execution = await getExecution(tx.db, executionId);
  if (!execution || execution.finished_at !== null) return;
  const spec = specOf(a);
  const scope = { accountId: a.account_id, region: a.region };
  const counts = await targetCounts(tx.db, executionId);
  const count = (pred: (c: { status: string; busy: boolean }) => boolean) => counts.filter(pred).reduce((n, c) => n + c.n, 0);
  const total = count(() => true);
  const counted = count((c) => !c.busy);
  const failures = count((c) => !c.busy && FAILED.has(c.status));
  let waiting = count((c) => c.status === "Waiting");
  let inflight = count((c) => c.status === "Pending" || c.status === "InProgress");
  if (waiting && failures > errorLimit(spec.MaxErrors, counted)) {
    await d
      .updateTable("association_targets")
      .set({
        status: "Skipped",
        detailed_status: "MaxErrorsReached",
        updated_at: now,
        summary: `Not applied: more than MaxErrors ${spec.MaxErrors} nodes failed.`,
      })
      .where("execution_id", "=", executionId)
      .where("status", "=", "Waiting")
      .execute();
    waiting = 0;
  } else if (waiting) {
    const room = concurrencyLimit(spec.MaxConcurrency, counted) - inflight;
    for (const t of room > 0 ? await waitingTargets(tx.db, executionId, room) : []) {
      await d
        .updateTable("association_targets")
        .set({ status: "Pending", detailed_status: "Pending", released_at: now, updated_at: now })
        .where("execution_id", "=", executionId)
        .where("instance_id", "=", t.instance_id)
        .execute();
      waiting--;
      inflight++;
      await upsertInstance(tx, a, t.instance_id, { execution_id: executionId, pending: 1, detailed_status: "Pending" }, now);
      addNudge(nudges, scope, t.instance_id, a.association_id);
    }
  }
  const done = waiting === 0 && inflight === 0;
  const untouched = count((c) => c.status === "Pending" || c.status === "Waiting");
  const status = done ? (failures ? "Failed" : "Success") : untouched < total ? "InProgress" : "Pending";
  if (status === execution.status && !done) return;
  await d
    .updateTable("association_executions")
    .set({ status, detailed_status: status, finished_at: done ? now : null })
    .where("execution_id", "=", executionId)
    .execute();
}

/** What the node reports about one application (UpdateInstanceAssociationStatus). */
export interface Report {
  status: string;
  executedAt: number;
  summary: string;
  errorCode?: string;
  outputUrl?: string;
  version?: string;
}

/** Maps the agent's statuses: Pending (taken) and InProgress are running; TimedOut counts as a failure. */
function targetStatus(agentStatus: string): string {
  if (agentStatus === "Pending" || agentStatus === "InProgress") return "InProgress";
  if (agentStatus === "Success" || agentStatus === "Failed" || agentStatus === "TimedOut" || agentStatus === "Skipped" || agentStatus === "Cancelled")
    return agentStatus;
  return "Failed";
}

/**
 * Records a node's report: its state for the association, the execution's target row (a run the node
 * started on its own gets an execution of its own), association compliance when SyncCompliance is
 * AUTO, and the node's association summary. Idempotent: a repeated terminal report changes nothing.
 */
export async function recordReport(tx: Tx, a: AssociationRow, instanceId: string, report: Report, now: number, nudges: Nudges): Promise<boolean> {
  const d = associationDb(tx.db);
  const row = await instanceRow(tx.db, a.association_id, instanceId);
  if (!row) return false;
  const status = targetStatus(report.status);
  const terminal = TERMINAL.has(status);
  const scope = { accountId: a.account_id, region: a.region };
  let executionId = row.execution_id;
  let target: TargetRow | undefined;
  if (executionId) {
    target = await targetOf(tx.db, executionId, row.instance_id);
    if (target && TERMINAL.has(target.status) && terminal && row.pending === 0) {
      // Already recorded (a repeated report): nothing changes.
      if (target.status === status) return true;
      target = undefined;
    }
  }
  if (!target && terminal) {
    // The node applied the association without an open request from us (its own schedule, a restart).
    executionId = randomUUID();
    await d
      .insertInto("association_executions")
      .values({
        execution_id: executionId,
        association_id: a.association_id,
        account_id: a.account_id,
        region: a.region,
        version: a.version,
        status: FAILED.has(status) ? "Failed" : "Success",
        detailed_status: FAILED.has(status) ? "Failed" : "Success",
        trigger: "Agent",
        created_at: report.executedAt,
        finished_at: now,
      })
      .execute();
    await d
      .insertInto("association_targets")
      .values({
        execution_id: executionId,
        association_id: a.association_id,
        instance_id: row.instance_id,
        status,
        detailed_status: report.status,
        released_at: null,
        updated_at: now,
        summary: report.summary,
        error_code: report.errorCode ?? null,
        output_url: report.outputUrl ?? null,
      })
      .execute();
  } else if (target && executionId) {
    await d
      .updateTable("association_targets")
      .set({
        status,
        detailed_status: report.status,
        updated_at: now,
        summary: report.summary,
        error_code: report.errorCode ?? null,
        output_url: report.outputUrl ?? null,
      })
      .where("execution_id", "=", executionId)
      .where("instance_id", "=", row.instance_id)
      .execute();
  }
  await d
    .updateTable("association_instances")
    .set({
      execution_id: executionId,
      pending: terminal ? 0 : row.pending,
      status: terminal ? status : (row.status ?? null),
      detailed_status: report.status,
      execution_date: report.executedAt,
      execution_summary: report.summary,
      error_code: report.errorCode ?? null,
      output_url: report.outputUrl ?? null,
      reported_version: report.version ?? String(a.version),
      ...(terminal ? { last_execution_at: report.executedAt } : {}),
      ...(status === "Success" ? { last_success_at: report.executedAt } : {}),
    })
    .where("association_id", "=", a.association_id)
    .where("instance_id", "=", row.instance_id)
    .execute();
  if (terminal) {
    await d
      .updateTable("associations")
      .set({ last_execution_at: report.executedAt, ...(status === "Success" ? { last_success_at: report.executedAt } : {}) })
      .where("association_id", "=", a.association_id)
      .execute();
    const spec = specOf(a);
    if ((spec.SyncCompliance ?? "AUTO") === "AUTO" && status !== "Skipped" && status !== "Cancelled") {
      await writeCompliance(
        tx,
        scope,
        {
          resourceType: "ManagedInstance",
          resourceId: row.instance_id,
          complianceType: "Association",
          execution: { time: report.executedAt, id: executionId ?? undefined, type: "Command" },
          items: [
            {
              Id: a.association_id,
              Title: a.association_name ?? a.name,
              Severity: spec.ComplianceSeverity ?? "UNSPECIFIED",
              Status: status === "Success" ? "COMPLIANT" : "NON_COMPLIANT",
              Details: { DocumentName: a.name, DocumentVersion: spec.DocumentVersion ?? "$DEFAULT" },
            },
          ],
          upload: "PARTIAL",
        },
        now,
      );
    }
  }
  if (executionId && target) await advanceExecution(tx, a, executionId, now, nudges);
  await refreshNodeSummary(tx, scope, row.instance_id);
  return true;
}

/** The node's association summary that DescribeInstanceInformation shows. */
export async function refreshNodeSummary(tx: Tx, scope: Scope, instanceId: string): Promise<void> {
  const rows = await associationDb(tx.db)
    .selectFrom("association_instances")
    .select(["status", "pending", "last_execution_at", "last_success_at"])
    .where("account_id", "=", scope.accountId)
    .where("region", "=", scope.region)
    .where("instance_id", "=", instanceId)
    .execute();
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const s = r.pending === 1 || r.status === null ? "Pending" : FAILED.has(r.status) ? "Failed" : "Success";
    counts[s] = (counts[s] ?? 0) + 1;
  }
  const status = counts.Failed ? "Failed" : counts.Pending ? "Pending" : "Success";
  const max = (xs: (number | null)[]) => xs.reduce<number | undefined>((m, x) => (x !== null && (m === undefined || x > m) ? x : m), undefined);
  await setNodeAssociationStatus(tx.db, scope, instanceId, {
    status,
    executedAt: max(rows.map((r) => r.last_execution_at)),
    lastSuccessAt: max(rows.map((r) => r.last_success_at)),
    overview: { DetailedStatus: status, InstanceAssociationStatusAggregatedCount: counts },
  });
}

/** The document amazon-ssm-agent (and openssm-agent) runs to look at its associations again at once. */
function refreshPayload(commandId: string, associationIds: string[]): SendCommandPayload {
  return {
    CommandId: commandId,
    DocumentName: "AWS-RefreshAssociation",
    DocumentContent: {
      schemaVersion: "2.0",
      description: "Applies the named State Manager associations now.",
      parameters: { associationIds: { type: "StringList", default: [] } },
      mainSteps: [{ action: "aws:refreshAssociation", name: "refreshAssociation", inputs: { associationIds: "{{ associationIds }}" } }],
    } as SendCommandPayload["DocumentContent"],
    Parameters: { associationIds },
    OutputS3BucketName: "",
    OutputS3KeyPrefix: "",
    CloudWatchLogGroupName: "",
    CloudWatchOutputEnabled: "false",
  };
}

/** How long a nudge may wait for its node (the agent also looks every 10 minutes on its own). */
const NUDGE_TTL_MS = 10 * 60_000;

/**
 * Tells nodes (after the commit) that associations wait for them: an aws:refreshAssociation job over
 * the node's channel, as AWS sends it, so the agent lists its associations and applies the pending
 * ones at once. The job is not a Run Command command (no ListCommands entry).
 */
export async function sendNudges(services: Services, nudges: Nudges): Promise<void> {
  for (const [instanceId, n] of nudges) {
    const commandId = randomUUID();
    try {
      await sendToNode(services, {
        messageId: jobMessageId(commandId, instanceId),
        accountId: n.scope.accountId,
        region: n.scope.region,
        instanceId,
        topic: Topic.SendCommand,
        payload: JSON.stringify(refreshPayload(commandId, [...n.associationIds])),
        expiresAt: services.clock.now() + NUDGE_TTL_MS,
      });
    } catch (err) {
      services.log.warn({ err, instanceId }, "could not queue an association refresh for a node");
    }
  }
}

import { randomUUID } from "node:crypto";
import { jobMessageId, type SendCommandPayload, Topic } from "@openssm/protocol";
import { sendToNodes } from "../../agents/index.js";
import type { ServerSlot, Services, Tx } from "../../runtime.js";
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

/** Rows per statement when writing many nodes at once. */
const CHUNK = 500;

function chunks<T>(xs: T[], n = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}

/** Sets the same columns on the association's rows of these nodes, adding the rows that are missing (a statement per CHUNK nodes). */
async function upsertInstances(tx: Tx, a: AssociationRow, instanceIds: string[], set: Partial<InstanceRow>, now: number): Promise<void> {
  const d = associationDb(tx.db);
  for (const ids of chunks(instanceIds)) {
    const have = new Set(
      (
        await d
          .selectFrom("association_instances")
          .select("instance_id")
          .where("association_id", "=", a.association_id)
          .where("instance_id", "in", ids)
          .execute()
      ).map((r) => r.instance_id),
    );
    const existing = ids.filter((id) => have.has(id));
    const missing = ids.filter((id) => !have.has(id));
    if (existing.length && Object.keys(set).length)
      await d.updateTable("association_instances").set(set).where("association_id", "=", a.association_id).where("instance_id", "in", existing).execute();
    if (missing.length)
      await d
        .insertInto("association_instances")
        .values(
          missing.map((instanceId) => ({
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
          })),
        )
        .execute();
  }
}

/** Adds the nodes to the association without applying it now (they wait for the schedule). */
export async function attachNodes(tx: Tx, a: AssociationRow, nodes: string[], now: number): Promise<void> {
  await upsertInstances(tx, a, nodes, {}, now);
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
  for (const ids of chunks(nodes)) {
    const rows = await d
      .selectFrom("association_instances")
      .select("instance_id")
      .where("association_id", "=", a.association_id)
      .where("instance_id", "in", ids)
      .where("pending", "=", 1)
      .execute();
    for (const r of rows) busy.add(r.instance_id);
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
  const released = rows.filter((r) => r.status === "Pending").map((r) => r.instance_id);
  await upsertInstances(tx, a, released, { execution_id: executionId, pending: 1, detailed_status: "Pending" }, now);
  for (const id of released) addNudge(nudges, scope, id, a.association_id);
  await upsertInstances(
    tx,
    a,
    rows.filter((r) => r.status === "Waiting").map((r) => r.instance_id),
    { execution_id: executionId },
    now,
  );
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
    const released = (room > 0 ? await waitingTargets(tx.db, executionId, room) : []).map((t) => t.instance_id);
    for (const ids of chunks(released))
      await d
        .updateTable("association_targets")
        .set({ status: "Pending", detailed_status: "Pending", released_at: now, updated_at: now })
        .where("execution_id", "=", executionId)
        .where("instance_id", "in", ids)
        .execute();
    waiting -= released.length;
    inflight += released.length;
    await upsertInstances(tx, a, released, { execution_id: executionId, pending: 1, detailed_status: "Pending" }, now);
    for (const id of released) addNudge(nudges, scope, id, a.association_id);
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

/** Marks what a Duration cutoff ended: DetailedStatus of its targets. */
const DURATION_EXCEEDED = "DurationExceeded";

/**
 * Duration: once an execution has run its hours, nodes still applying it are TimedOut, nodes not
 * started are not started (Skipped), and the execution ends TimedOut. A node's report for it that
 * comes later changes nothing.
 */
export async function timeOutExecution(tx: Tx, a: AssociationRow, executionId: string, now: number, nudges: Nudges): Promise<void> {
  const d = associationDb(tx.db);
  const execution = await getExecution(tx.db, executionId);
  if (!execution || execution.finished_at !== null) return;
  const hours = specOf(a).Duration;
  await d
    .updateTable("association_targets")
    .set({ status: "Skipped", detailed_status: DURATION_EXCEEDED, updated_at: now, summary: `Not applied: the association's Duration (${hours} h) ended.` })
    .where("execution_id", "=", executionId)
    .where("status", "=", "Waiting")
    .execute();
  const running = await d
    .selectFrom("association_targets")
    .select("instance_id")
    .where("execution_id", "=", executionId)
    .where("status", "in", ["Pending", "InProgress"])
    .execute();
  const work = newBatchWork();
  for (const t of running) {
    await recordReport(
      tx,
      a,
      t.instance_id,
      { status: "TimedOut", executedAt: now, summary: `The association ran longer than its Duration (${hours} h).` },
      now,
      nudges,
      work,
    );
  }
  await finishBatch(tx, work, now, nudges);
  for (const ids of chunks(running.map((t) => t.instance_id)))
    await d
      .updateTable("association_targets")
      .set({ detailed_status: DURATION_EXCEEDED })
      .where("execution_id", "=", executionId)
      .where("instance_id", "in", ids)
      .execute();
  await d
    .updateTable("association_executions")
    .set({ status: "TimedOut", detailed_status: "TimedOut", finished_at: now })
    .where("execution_id", "=", executionId)
    .execute();
}

/**
 * A node took a run (reported it InProgress) and reported nothing since for longer than the run may
 * last: its agent stopped mid-run (a crash, a reinstall) and will not report its outcome. The run is
 * TimedOut, as Run Command's ExecutionTimedOut, so the node is no longer busy with it and the next
 * application reaches it. An outcome the node reports later is recorded as a run of its own.
 */
export async function endQuietRun(
  tx: Tx,
  a: AssociationRow,
  executionId: string,
  instanceId: string,
  allowedSeconds: number,
  now: number,
  nudges: Nudges,
): Promise<boolean> {
  const target = await targetOf(tx.db, executionId, instanceId);
  const row = await instanceRow(tx.db, a.association_id, instanceId);
  if (!target || target.status !== "InProgress" || target.updated_at + allowedSeconds * 1000 > now || row?.execution_id !== executionId) return false;
  const work = newBatchWork();
  const summary = `The node reported no outcome within ${allowedSeconds} s of taking the run (the document's execution timeout and a grace); it is free for the next application.`;
  await recordReport(tx, a, instanceId, { status: "TimedOut", executedAt: now, summary }, now, nudges, work);
  await finishBatch(tx, work, now, nudges);
  return true;
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
export async function recordReport(
  tx: Tx,
  a: AssociationRow,
  instanceId: string,
  report: Report,
  now: number,
  nudges: Nudges,
  batch?: BatchWork,
): Promise<boolean> {
  if (!batch) {
    const own = newBatchWork();
    const known = await recordReport(tx, a, instanceId, report, now, nudges, own);
    await finishBatch(tx, own, now, nudges);
    return known;
  }
  const d = associationDb(tx.db);
  const row = await instanceRow(tx.db, a.association_id, instanceId);
  if (!row) return false;
  const status = targetStatus(report.status);
  const terminal = TERMINAL.has(status);
  // A report carries no run id, only the node's time. A running report dated no later than the end
  // of the node's last finished run (both the node's clock) is about that run, delivered late or
  // again: it neither reopens that run nor marks a newer one taken (which would stop offering it).
  if (!terminal && row.last_execution_at !== null && report.executedAt <= row.last_execution_at) return true;
  const scope = { accountId: a.account_id, region: a.region };
  let executionId = row.execution_id;
  let target: TargetRow | undefined;
  if (executionId) {
    target = await targetOf(tx.db, executionId, row.instance_id);
    if (target && TERMINAL.has(target.status) && terminal && row.pending === 0) {
      // Already recorded (a repeated report, or one after the Duration ended the run): nothing changes.
      if (target.status === status || target.detailed_status === DURATION_EXCEEDED) return true;
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
    const times = batch.associations.get(a.association_id) ?? {};
    times.lastExecutionAt = report.executedAt;
    if (status === "Success") times.lastSuccessAt = report.executedAt;
    batch.associations.set(a.association_id, times);
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
  if (executionId && target) {
    const e = batch.executions.get(executionId);
    batch.executions.set(executionId, { a, ended: (e?.ended ?? false) || terminal });
  }
  // A report of a run still going changes nothing the node's summary counts.
  if (terminal) {
    const key = `${scope.accountId}/${scope.region}`;
    const nodes = batch.nodes.get(key) ?? { scope, ids: new Set<string>() };
    nodes.ids.add(row.instance_id);
    batch.nodes.set(key, nodes);
  }
  return true;
}

/** What a batch of reports does once, at its end: executions to advance, associations' last times, node summaries. */
export interface BatchWork {
  /** Executions with reports in the batch; `ended`: one of them ended a run. */
  executions: Map<string, { a: AssociationRow; ended: boolean }>;
  associations: Map<string, { lastExecutionAt?: number; lastSuccessAt?: number }>;
  nodes: Map<string, { scope: Scope; ids: Set<string> }>;
}

const newBatchWork = (): BatchWork => ({ executions: new Map(), associations: new Map(), nodes: new Map() });

async function finishBatch(tx: Tx, batch: BatchWork, now: number, nudges: Nudges): Promise<void> {
  for (const [associationId, t] of batch.associations) {
    if (t.lastExecutionAt === undefined) continue;
    await associationDb(tx.db)
      .updateTable("associations")
      .set({ last_execution_at: t.lastExecutionAt, ...(t.lastSuccessAt !== undefined ? { last_success_at: t.lastSuccessAt } : {}) })
      .where("association_id", "=", associationId)
      .execute();
  }
  for (const [executionId, { a, ended }] of batch.executions) {
    if (ended) await advanceExecution(tx, a, executionId, now, nudges);
    else {
      // Only runs that started: the execution moves from Pending to InProgress, nothing else can change.
      await associationDb(tx.db)
        .updateTable("association_executions")
        .set({ status: "InProgress", detailed_status: "InProgress" })
        .where("execution_id", "=", executionId)
        .where("status", "=", "Pending")
        .where("finished_at", "is", null)
        .execute();
    }
  }
  for (const { scope, ids } of batch.nodes.values()) await refreshNodeSummaries(tx, scope, [...ids]);
}

interface QueuedReport {
  a: AssociationRow;
  instanceId: string;
  report: Report;
  resolve: (known: boolean) => void;
  reject: (err: unknown) => void;
}

/** Reports applied together: at most this many in one transaction. */
const REPORT_BATCH = 200;

/** Per server: the nodes' reports waiting for the next transaction, and whether one is running. */
const REPORTS: ServerSlot<{ queue: QueuedReport[]; draining: boolean }> = { name: "associations.reports", create: () => ({ queue: [], draining: false }) };

/**
 * Records a node's report (recordReport) together with the others that arrive meanwhile: while one
 * transaction runs, the reports that come in wait and then go in one transaction of their own, the
 * executions they touch advanced once. Resolves once the report is committed (false: the node does
 * not have the association).
 */
export function submitReport(services: Services, a: AssociationRow, instanceId: string, report: Report): Promise<boolean> {
  const state = services.own(REPORTS);
  return new Promise<boolean>((resolve, reject) => {
    state.queue.push({ a, instanceId, report, resolve, reject });
    if (!state.draining) {
      state.draining = true;
      // After the I/O callbacks of this turn: the reports that came in together go in one transaction.
      setImmediate(() => void drainReports(services, state));
    }
  });
}

async function drainReports(services: Services, state: { queue: QueuedReport[]; draining: boolean }): Promise<void> {
  try {
    while (state.queue.length) {
      const batch = state.queue.splice(0, REPORT_BATCH);
      const nudges: Nudges = new Map();
      try {
        const known = await services.transaction(async (tx) => {
          const now = services.clock.now();
          const work = newBatchWork();
          const out: boolean[] = [];
          for (const r of batch) out.push(await recordReport(tx, r.a, r.instanceId, r.report, now, nudges, work));
          await finishBatch(tx, work, now, nudges);
          return out;
        });
        batch.forEach((r, i) => r.resolve(known[i]));
      } catch (err) {
        if (batch.length === 1) batch[0].reject(err);
        else {
          // One report that cannot be recorded must not fail the others: each on its own.
          for (const r of batch) {
            try {
              r.resolve(await services.transaction((tx) => recordReport(tx, r.a, r.instanceId, r.report, services.clock.now(), nudges)));
            } catch (e) {
              r.reject(e);
            }
          }
        }
      }
      await sendNudges(services, nudges);
    }
  } finally {
    state.draining = false;
  }
}

/** The node's association summary that DescribeInstanceInformation shows. */
export async function refreshNodeSummary(tx: Tx, scope: Scope, instanceId: string): Promise<void> {
  await refreshNodeSummaries(tx, scope, [instanceId]);
}

/** refreshNodeSummary for many nodes: a read per CHUNK nodes, a write per distinct summary. */
export async function refreshNodeSummaries(tx: Tx, scope: Scope, instanceIds: string[]): Promise<void> {
  const max = (xs: (number | null)[]) => xs.reduce<number | undefined>((m, x) => (x !== null && (m === undefined || x > m) ? x : m), undefined);
  for (const ids of chunks([...new Set(instanceIds)])) {
    const rows = await associationDb(tx.db)
      .selectFrom("association_instances")
      .select(["instance_id", "status", "pending", "last_execution_at", "last_success_at"])
      .where("account_id", "=", scope.accountId)
      .where("region", "=", scope.region)
      .where("instance_id", "in", ids)
      .execute();
    const byNode = new Map<string, typeof rows>(ids.map((id) => [id, []]));
    for (const r of rows) byNode.get(r.instance_id)?.push(r);
    const groups = new Map<string, { summary: Parameters<typeof setNodeAssociationStatus>[3]; ids: string[] }>();
    const add = (id: string, summary: Parameters<typeof setNodeAssociationStatus>[3]) => {
      const key = JSON.stringify(summary);
      const g = groups.get(key) ?? { summary, ids: [] as string[] };
      g.ids.push(id);
      groups.set(key, g);
    };
    for (const [id, mine] of byNode) {
      const counts: Record<string, number> = {};
      for (const r of mine) {
        const s = r.pending === 1 || r.status === null ? "Pending" : FAILED.has(r.status) ? "Failed" : "Success";
        counts[s] = (counts[s] ?? 0) + 1;
      }
      const status = counts.Failed ? "Failed" : counts.Pending ? "Pending" : "Success";
      add(id, {
        status,
        executedAt: max(mine.map((r) => r.last_execution_at)),
        lastSuccessAt: max(mine.map((r) => r.last_success_at)),
        overview: { DetailedStatus: status, InstanceAssociationStatusAggregatedCount: counts },
      });
    }
    for (const g of groups.values()) await setNodeAssociationStatus(tx.db, scope, g.ids, g.summary);
  }
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
  const expiresAt = services.clock.now() + NUDGE_TTL_MS;
  const messages = [...nudges].map(([instanceId, n]) => {
    const commandId = randomUUID();
    return {
      messageId: jobMessageId(commandId, instanceId),
      accountId: n.scope.accountId,
      region: n.scope.region,
      instanceId,
      topic: Topic.SendCommand,
      payload: JSON.stringify(refreshPayload(commandId, [...n.associationIds])),
      expiresAt,
    };
  });
  try {
    // A few statements for a thousand nodes: the call that asked answers at once, not after its nodes' traffic.
    await sendToNodes(services, messages);
  } catch (err) {
    services.log.warn({ err, nodes: messages.length }, "could not queue association refreshes for nodes (their agents look on their own every 10 minutes)");
  }
}

import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { Target } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext, ServerSlot, Services, Tx } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import type { Scope } from "../../storage/scope.js";
import { calendarState, isoSeconds } from "../calendar/index.js";
import { concurrencyLimit, errorLimit } from "../commands/index.js";
import { resolveTargets } from "../nodes/index.js";
import { getTags } from "../tags/index.js";
import { executionEvent, invocationEvent, taskExecutionEvent } from "./events.js";
import { WINDOW_TAG_TYPE } from "./ops-windows.js";
import { taskDefinition } from "./ops-tasks.js";
import { nextStart } from "./schedule.js";
import { type ExecutionRow, type ExecutionTaskRow, type InvocationRow, mwDb, type TaskRow, type WindowRow } from "./tables.js";
import { type InvocationTarget, pseudoParameters, type TaskInvocationStatus, taskContext, taskTypeRunner } from "./task-types.js";

/**
 * The maintenance window scheduler: on each tick (one replica holds the scheduler's lease) it starts
 * the windows whose time has come — recording starts missed while the server was down and starts
 * that overlap a running execution — and moves every open execution on: tasks in priority order
 * (equal priorities together), each task's invocations within its MaxConcurrency until MaxErrors is
 * exceeded, nothing new after the cutoff. All state is in storage: a restarted server resumes it.
 */

const HOUR = 3_600_000;
/** Due windows started together in one transaction. */
const START_BATCH = 100;
/** Starts taken in one tick at most; the rest on the next. */
const MAX_STARTS_PER_TICK = 5000;
/** A window whose starts were missed for a long time records at most this many of them per tick. */
const MAX_MISSED = 20;
const TERMINAL = new Set(["SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING"]);
/** Change calendars named in this window tag (names separated by spaces) hold the window's tasks back while closed. */
export const CALENDAR_TAG = "openssm:ChangeCalendarNames";
/** How often a task held back by a closed calendar asks again (sooner when the calendar says it opens). */
const CALENDAR_RECHECK_MS = 60_000;

/** When each held-back task execution may ask its calendars again (memory: a restart only asks sooner). */
const CALENDAR_WAITS: ServerSlot<Map<string, number>> = { name: "maintenance-windows.calendar-waits", create: () => new Map() };

const scopeOf = (r: { account_id: string; region: string }): Scope => ({ accountId: r.account_id, region: r.region });

export async function runWindows(services: Services, now: number): Promise<void> {
  // Windows due together (many share a cron minute) start in batches: one query for their tasks, one transaction.
  let taken = 0;
  for (;;) {
    const due = await mwDb(services.db)
      .selectFrom("mw_windows")
      .selectAll()
      .where("enabled", "=", 1)
      .where("next_execution_at", "<=", now)
      .orderBy("next_execution_at")
      .orderBy("window_id")
      .limit(START_BATCH)
      .execute();
    if (due.length === 0) break;
    await startWindows(services, due, now);
    taken += due.length;
    if (due.length < START_BATCH || taken >= MAX_STARTS_PER_TICK) break;
  }
  const open = await mwDb(services.db).selectFrom("mw_executions").selectAll().where("open", "=", 1).orderBy("start_time").limit(500).execute();
  for (const e of open) {
    try {
      await advanceExecution(services, e, now);
    } catch (err) {
      services.log.error({ err, windowExecutionId: e.window_execution_id }, "advancing a maintenance window execution failed");
    }
  }
}

function executionRow(w: WindowRow, scheduled: number, start: number, status: string, details: string | null, open: boolean): ExecutionRow {
  const closeAt = scheduled + w.duration * HOUR;
  return {
    window_execution_id: randomUUID(),
    window_id: w.window_id,
    account_id: w.account_id,
    region: w.region,
    status,
    status_details: details,
    scheduled_at: scheduled,
    start_time: start,
    end_time: open ? null : start,
    cutoff_at: closeAt - w.cutoff * HOUR,
    close_at: closeAt,
    cancel_requested: 0,
    open: open ? 1 : 0,
  };
}

/** Starts due windows: together in one transaction, or, if that fails, one by one so that one bad window holds back no other. */
async function startWindows(services: Services, due: WindowRow[], now: number): Promise<void> {
  // Each start is stamped when it is taken (a tick with many due windows takes a while).
  const at = Math.max(now, services.clock.now());
  const tasks = await listTasksOf(
    services.db,
    due.map((w) => w.window_id),
  );
  try {
    await services.transaction((tx) => startBatch(tx, due, at, tasks));
    return;
  } catch (err) {
    if (due.length === 1) {
      services.log.error({ err, windowId: due[0].window_id }, "starting a maintenance window failed");
      return;
    }
  }
  for (const w of due) await startWindows(services, [w], now);
}

/** The windows' registered tasks, by window. */
async function listTasksOf(db: AnyDb, windowIds: string[]): Promise<Map<string, TaskRow[]>> {
  const out = new Map<string, TaskRow[]>();
  const rows = await mwDb(db).selectFrom("mw_tasks").selectAll().where("window_id", "in", windowIds).orderBy("window_task_id").execute();
  for (const t of rows) out.set(t.window_id, [...(out.get(t.window_id) ?? []), t]);
  return out;
}

/**
 * Starts due windows once each: claims their starts by moving next_execution_at on (a window whose
 * next_execution_at another replica or tick moved already is left alone), and records the
 * executions, in the caller's transaction. A few statements for the whole batch.
 */
async function startBatch(tx: Tx, due: WindowRow[], now: number, tasks: Map<string, TaskRow[]>): Promise<void> {
  const d = mwDb(tx.db);
  const plans = due.map((w) => {
    const claimed = w.next_execution_at as number;
    const starts: number[] = [];
    let next: number | undefined = claimed;
    while (next !== undefined && next <= now && starts.length < MAX_MISSED) {
      starts.push(next);
      next = nextStart(w, next);
    }
    if (next !== undefined && next <= now) next = nextStart(w, now);
    return { w, claimed, starts, next: next ?? null };
  });
  const bigint = (v: number | null) => sql`cast(${v} as bigint)`;
  const claimed = await d
    .updateTable("mw_windows")
    .set({
      next_execution_at: sql<number | null>`case window_id ${sql.join(
        plans.map((p) => sql`when ${p.w.window_id} then ${bigint(p.next)}`),
        sql` `,
      )} end`,
    })
    .where((eb) => eb.or(plans.map((p) => eb.and([eb("window_id", "=", p.w.window_id), eb("next_execution_at", "=", p.claimed)]))))
    .returning("window_id")
    .execute();
  const mine = new Set(claimed.map((r) => r.window_id));
  const taken = plans.filter((p) => mine.has(p.w.window_id));
  if (taken.length === 0) return;
  const runningRows = await d
    .selectFrom("mw_executions")
    .select(["window_id", "window_execution_id"])
    .where("open", "=", 1)
    .where(
      "window_id",
      "in",
      taken.map((p) => p.w.window_id),
    )
    .execute();
  const running = new Map(runningRows.map((r) => [r.window_id, r.window_execution_id]));
  const executions: ExecutionRow[] = [];
  const taskRows: ExecutionTaskRow[] = [];
  for (const { w, starts } of taken) {
    const windowTasks = tasks.get(w.window_id) ?? [];
    for (const scheduled of starts) {
      const cutoffAt = scheduled + (w.duration - w.cutoff) * HOUR;
      const runningId = running.get(w.window_id);
      let e: ExecutionRow;
      if (now >= cutoffAt) {
        e = executionRow(
          w,
          scheduled,
          scheduled,
          "TIMED_OUT",
          `The window was due at ${isoSeconds(scheduled)} but openssm was not running until after its cutoff (${isoSeconds(cutoffAt)}); no task was started.`,
          false,
        );
      } else if (runningId) {
        e = executionRow(
          w,
          scheduled,
          now,
          "SKIPPED_OVERLAPPING",
          `Skipped: execution ${runningId} of this window was still running when this one was due.`,
          false,
        );
      } else if (windowTasks.length === 0) {
        e = executionRow(w, scheduled, now, "SUCCESS", "The window has no tasks registered.", false);
      } else {
        e = executionRow(w, scheduled, now, "IN_PROGRESS", null, true);
        running.set(w.window_id, e.window_execution_id);
        const ordered = [...windowTasks].sort((a, b) => a.priority - b.priority || a.created_at - b.created_at);
        for (const [seq, t] of ordered.entries()) {
          taskRows.push({
            task_execution_id: randomUUID(),
            window_execution_id: e.window_execution_id,
            window_id: w.window_id,
            account_id: w.account_id,
            region: w.region,
            window_task_id: t.window_task_id,
            task: JSON.stringify(t),
            task_arn: t.task_arn,
            task_type: t.task_type,
            priority: t.priority,
            seq,
            status: "PENDING",
            status_details: null,
            start_time: null,
            end_time: null,
            resolved_targets: null,
          });
        }
      }
      executions.push(e);
      tx.publish(executionEvent(scopeOf(w), e));
    }
  }
  // Several rows per statement, within the engines' limits on bound values.
  for (let i = 0; i < executions.length; i += 500)
    await d
      .insertInto("mw_executions")
      .values(executions.slice(i, i + 500))
      .execute();
  for (let i = 0; i < taskRows.length; i += 500)
    await d
      .insertInto("mw_execution_tasks")
      .values(taskRows.slice(i, i + 500))
      .execute();
}

async function setTask(services: Services, t: ExecutionTaskRow, changes: Partial<ExecutionTaskRow>): Promise<ExecutionTaskRow> {
  const next = { ...t, ...changes };
  await services.transaction(async (tx) => {
    await mwDb(tx.db).updateTable("mw_execution_tasks").set(changes).where("task_execution_id", "=", t.task_execution_id).execute();
    if (changes.status && changes.status !== t.status) tx.publish(taskExecutionEvent(scopeOf(t), next));
  });
  return next;
}

async function setInvocation(services: Services, windowId: string, i: InvocationRow, changes: Partial<InvocationRow>): Promise<InvocationRow> {
  const next = { ...i, ...changes };
  await services.transaction(async (tx) => {
    await mwDb(tx.db).updateTable("mw_invocations").set(changes).where("invocation_id", "=", i.invocation_id).execute();
    if (changes.status && changes.status !== i.status) tx.publish(invocationEvent(scopeOf(i), windowId, next));
  });
  return next;
}

/** The identity a task's work runs as, with the window execution as its audit source. */
function contextFor(services: Services, task: TaskRow, e: ExecutionRow): Promise<RequestContext> {
  return taskContext(services, scopeOf(e), task.service_role_arn ?? task.registered_by, "MaintenanceWindowTask", e.window_execution_id);
}

async function advanceExecution(services: Services, e: ExecutionRow, now: number): Promise<void> {
  const tasks = await mwDb(services.db)
    .selectFrom("mw_execution_tasks")
    .selectAll()
    .where("window_execution_id", "=", e.window_execution_id)
    .orderBy("seq")
    .execute();
  const cutoffReached = now >= e.cutoff_at;
  for (let k = 0; k < tasks.length; k++) {
    const t = tasks[k];
    if (t.status === "IN_PROGRESS" || t.status === "CANCELLING") tasks[k] = await progressTask(services, e, t, now, cutoffReached);
    else if (t.status === "PENDING" && (e.cancel_requested || cutoffReached)) {
      tasks[k] = await setTask(services, t, {
        status: e.cancel_requested ? "CANCELLED" : "TIMED_OUT",
        status_details: e.cancel_requested
          ? "The window execution was cancelled before this task started."
          : `The task did not start: the window reached its cutoff at ${isoSeconds(e.cutoff_at)}.`,
        end_time: now,
      });
    }
  }
  // The lowest priority with unfinished tasks runs; its pending tasks start together once nothing of a lower priority runs.
  const unfinished = tasks.filter((t) => !TERMINAL.has(t.status));
  if (unfinished.length && !e.cancel_requested && !cutoffReached) {
    const p = Math.min(...unfinished.map((t) => t.priority));
    for (let k = 0; k < tasks.length; k++) {
      const t = tasks[k];
      if (t.status === "PENDING" && t.priority === p) tasks[k] = await startTask(services, e, t, now);
    }
  }
  if (tasks.every((t) => TERMINAL.has(t.status))) await finishExecution(services, e, tasks, now);
}

async function finishExecution(services: Services, e: ExecutionRow, tasks: ExecutionTaskRow[], now: number): Promise<void> {
  const has = (s: string) => tasks.some((t) => t.status === s);
  const status = e.cancel_requested ? "CANCELLED" : has("FAILED") ? "FAILED" : has("TIMED_OUT") ? "TIMED_OUT" : has("CANCELLED") ? "CANCELLED" : "SUCCESS";
  const failed = tasks.filter((t) => t.status !== "SUCCESS").map((t) => t.task_execution_id);
  const details = status === "SUCCESS" ? null : status === "CANCELLED" ? "The execution was cancelled." : `Tasks that did not succeed: ${failed.join(", ")}.`;
  const done: ExecutionRow = { ...e, status, status_details: details, end_time: now, open: 0 };
  await services.transaction(async (tx) => {
    const r = await mwDb(tx.db)
      .updateTable("mw_executions")
      .set({ status, status_details: details, end_time: now, open: 0 })
      .where("window_execution_id", "=", e.window_execution_id)
      .where("open", "=", 1)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) > 0) tx.publish(executionEvent(scopeOf(e), done));
  });
}

/** The change calendars the window names; CLOSED holds its tasks back (each evaluation is in the audit trail). */
async function calendarHold(services: Services, ctx: RequestContext, e: ExecutionRow, t: ExecutionTaskRow, now: number): Promise<string | undefined> {
  const tags = await getTags(services.db, scopeOf(e), WINDOW_TAG_TYPE, e.window_id);
  const names = (tags[CALENDAR_TAG] ?? "").split(/\s+/).filter(Boolean);
  if (!names.length) return undefined;
  const waits = services.own(CALENDAR_WAITS);
  const again = waits.get(t.task_execution_id);
  if (again !== undefined && now < again) return t.status_details ?? "Waiting for change calendars.";
  try {
    const state = await calendarState(ctx, names, now);
    if (state.state === "OPEN") {
      waits.delete(t.task_execution_id);
      return undefined;
    }
    waits.set(t.task_execution_id, Math.min(state.nextTransitionTime ?? Number.POSITIVE_INFINITY, now + CALENDAR_RECHECK_MS));
    const until = state.nextTransitionTime !== undefined ? ` until ${isoSeconds(state.nextTransitionTime)}` : "";
    return `Waiting: change calendar ${names.join(", ")} is CLOSED${until}; the task starts when it opens, if before the cutoff.`;
  } catch (err) {
    waits.set(t.task_execution_id, now + CALENDAR_RECHECK_MS);
    return `Waiting: change calendar ${names.join(", ")} can't be read (${(err as Error).message}).`;
  }
}

/** The targets a task runs on, resolved when it starts: one entry per node (or one empty entry for a targetless task). */
async function resolveTaskTargets(services: Services, ctx: RequestContext, task: TaskRow): Promise<InvocationTarget[]> {
  const targets = JSON.parse(task.targets) as Target[];
  if (targets.length === 0) return [{}];
  const out: InvocationTarget[] = [];
  const seen = new Set<string>();
  const add = (resourceId: string, windowTargetId?: string, ownerInformation?: string) => {
    if (seen.has(resourceId)) return;
    seen.add(resourceId);
    out.push({ resourceId, windowTargetId, ownerInformation, targetType: "INSTANCE" });
  };
  for (const t of targets) {
    if (t.Key === "InstanceIds") {
      for (const id of await resolveTargets(ctx, { InstanceIds: t.Values })) add(id);
      continue;
    }
    for (const windowTargetId of t.Values ?? []) {
      const wt = await mwDb(services.db).selectFrom("mw_targets").selectAll().where("window_target_id", "=", windowTargetId).executeTakeFirst();
      if (!wt) continue;
      let ids: string[] = [];
      try {
        ids = await resolveTargets(ctx, { Targets: JSON.parse(wt.targets) as Target[] });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
      }
      for (const id of ids.sort()) add(id, wt.window_target_id, wt.owner_information ?? undefined);
    }
  }
  return out;
}

async function startTask(services: Services, e: ExecutionRow, t: ExecutionTaskRow, now: number): Promise<ExecutionTaskRow> {
  const task = JSON.parse(t.task) as TaskRow;
  let ctx: RequestContext;
  try {
    ctx = await contextFor(services, task, e);
  } catch (err) {
    return setTask(services, t, { status: "FAILED", status_details: (err as Error).message, start_time: now, end_time: now });
  }
  const hold = await calendarHold(services, ctx, e, t, now);
  if (hold) return hold === t.status_details ? t : setTask(services, t, { status_details: hold });
  let targets: InvocationTarget[];
  try {
    taskTypeRunner(services, task.task_type);
    targets = await resolveTaskTargets(services, ctx, task);
  } catch (err) {
    return setTask(services, t, { status: "FAILED", status_details: (err as Error).message, start_time: now, end_time: now });
  }
  const started = await setTask(services, t, { status: "IN_PROGRESS", status_details: null, start_time: now, resolved_targets: JSON.stringify(targets) });
  return progressTask(services, e, started, now, false, ctx);
}

const FINAL_INVOCATION = new Set<TaskInvocationStatus>(["SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED"]);

async function progressTask(
  services: Services,
  e: ExecutionRow,
  t: ExecutionTaskRow,
  now: number,
  cutoffReached: boolean,
  given?: RequestContext,
): Promise<ExecutionTaskRow> {
  const task = JSON.parse(t.task) as TaskRow;
  const def = taskDefinition(task);
  const runner = taskTypeRunner(services, task.task_type);
  const targets = JSON.parse(t.resolved_targets ?? "[]") as InvocationTarget[];
  const scope = scopeOf(e);
  let ctx = given;
  const context = async () => (ctx ??= await contextFor(services, task, e));
  const invocations = await mwDb(services.db)
    .selectFrom("mw_invocations")
    .selectAll()
    .where("task_execution_id", "=", t.task_execution_id)
    .orderBy("seq")
    .execute();
  const cancelling = e.cancel_requested === 1 || (cutoffReached && task.cutoff_behavior === "CANCEL_TASK");
  for (let k = 0; k < invocations.length; k++) {
    const inv = invocations[k];
    if (FINAL_INVOCATION.has(inv.status as TaskInvocationStatus)) continue;
    if (!inv.execution_id) {
      // Started but never recorded as sent (the server stopped in between): not sent again, so never run twice.
      invocations[k] = await setInvocation(services, e.window_id, inv, {
        status: "FAILED",
        status_details: "openssm stopped while starting this invocation; it was not started again.",
        end_time: now,
      });
      continue;
    }
    if (cancelling && inv.status !== "CANCELLING") {
      try {
        await runner.cancel(await context(), inv.execution_id);
      } catch (err) {
        services.log.warn({ err, invocationId: inv.invocation_id }, "cancelling a maintenance window invocation failed");
      }
      invocations[k] = await setInvocation(services, e.window_id, inv, { status: "CANCELLING" });
    }
    const s = await runner.status(services, scope, inv.execution_id);
    if (s.status !== invocations[k].status && !(invocations[k].status === "CANCELLING" && s.status === "IN_PROGRESS")) {
      invocations[k] = await setInvocation(services, e.window_id, invocations[k], {
        status: s.status,
        status_details: s.details ?? null,
        end_time: FINAL_INVOCATION.has(s.status) ? now : null,
      });
    }
  }
  const total = targets.length;
  const errors = invocations.filter((i) => i.status === "FAILED" || i.status === "TIMED_OUT").length;
  const maxErrors = errorLimit(def.maxErrors ?? "0", Math.max(total, 1));
  const concurrency = concurrencyLimit(def.maxConcurrency ?? "1", Math.max(total, 1));
  const stopped = errors > maxErrors || cancelling;
  let running = invocations.filter((i) => !FINAL_INVOCATION.has(i.status as TaskInvocationStatus)).length;
  let seq = invocations.length;
  while (!stopped && running < concurrency && seq < total) {
    const inv = await startInvocation(services, e, t, def, targets[seq], seq, now, await context());
    invocations.push(inv);
    if (!FINAL_INVOCATION.has(inv.status as TaskInvocationStatus)) running++;
    seq++;
  }
  if (running > 0 || (!stopped && seq < total)) return t;
  // Every invocation that will run has ended.
  const has = (s: string) => invocations.some((i) => i.status === s);
  const errorsNow = invocations.filter((i) => i.status === "FAILED" || i.status === "TIMED_OUT").length;
  let status: string;
  let details: string | null = null;
  if (e.cancel_requested) {
    status = "CANCELLED";
  } else if (cancelling) {
    status = "TIMED_OUT";
    details = `Cancelled at the window's cutoff (${isoSeconds(e.cutoff_at)}), as CutoffBehavior CANCEL_TASK asks.`;
  } else if (errorsNow > maxErrors) {
    status = "FAILED";
    details = `${errorsNow} invocation(s) failed, more than MaxErrors (${def.maxErrors ?? "0"}); ${total - invocations.length} target(s) were not started.`;
  } else if (has("FAILED")) {
    status = "FAILED";
  } else if (has("TIMED_OUT")) {
    status = "TIMED_OUT";
  } else if (has("CANCELLED")) {
    status = "CANCELLED";
  } else {
    status = "SUCCESS";
    if (total === 0) details = "No target of the task matched a managed node.";
  }
  return setTask(services, t, { status, status_details: details, end_time: now });
}

async function startInvocation(
  services: Services,
  e: ExecutionRow,
  t: ExecutionTaskRow,
  def: ReturnType<typeof taskDefinition>,
  target: InvocationTarget,
  seq: number,
  now: number,
  ctx: RequestContext,
): Promise<InvocationRow> {
  const runner = taskTypeRunner(services, def.taskType);
  const row: InvocationRow = {
    invocation_id: randomUUID(),
    task_execution_id: t.task_execution_id,
    window_execution_id: e.window_execution_id,
    account_id: e.account_id,
    region: e.region,
    seq,
    execution_id: null,
    task_type: def.taskType,
    parameters: "",
    status: "PENDING",
    status_details: null,
    start_time: now,
    end_time: null,
    owner_information: target.ownerInformation ?? null,
    window_target_id: target.windowTargetId ?? null,
    resource_id: target.resourceId ?? null,
  };
  await mwDb(services.db).insertInto("mw_invocations").values(row).execute();
  const substitute = pseudoParameters({
    RESOURCE_ID: target.resourceId,
    TARGET_ID: target.resourceId,
    TARGET_TYPE: target.targetType,
    WINDOW_ID: e.window_id,
    WINDOW_EXECUTION_ID: e.window_execution_id,
    WINDOW_TASK_ID: def.windowTaskId,
    WINDOW_TARGET_ID: target.windowTargetId,
    TASK_EXECUTION_ID: t.task_execution_id,
    INVOCATION_ID: row.invocation_id,
  });
  try {
    const started = await runner.start({
      ctx,
      task: def,
      target,
      windowExecutionId: e.window_execution_id,
      taskExecutionId: t.task_execution_id,
      invocationId: row.invocation_id,
      substitute,
    });
    return setInvocation(services, e.window_id, row, { execution_id: started.executionId, parameters: started.parameters, status: "IN_PROGRESS" });
  } catch (err) {
    const message = err instanceof ApiError ? `${err.code}: ${err.message}` : (err as Error).message;
    return setInvocation(services, e.window_id, row, { status: "FAILED", status_details: message, end_time: now });
  }
}

/** CancelMaintenanceWindowExecution: nothing new starts; running invocations are cancelled on the next tick. */
export async function requestCancel(services: Services, e: ExecutionRow): Promise<void> {
  if (!e.open) return;
  await services.transaction(async (tx) => {
    await mwDb(tx.db)
      .updateTable("mw_executions")
      .set({ cancel_requested: 1, status: "CANCELLING" })
      .where("window_execution_id", "=", e.window_execution_id)
      .execute();
    tx.publish(executionEvent(scopeOf(e), { ...e, status: "CANCELLING", cancel_requested: 1 }));
  });
  await advanceExecution(services, { ...e, status: "CANCELLING", cancel_requested: 1 }, services.clock.now());
}

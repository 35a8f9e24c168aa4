import { randomUUID } from "node:crypto";
import { executionEvent } from "./events.js";
import { guarded } from "./lease.js";
import { freshProgress, type PlannedTarget } from "./start.js";
import { isError, isTerminal } from "./statuses.js";
import { children, parseJson } from "./store.js";
import { automationDb, type ExecutionRow } from "./tables.js";
import type { Turn } from "./turn.js";
import { finish } from "./finish.js";

/** How often a parent looks at its children when none of them told it anything. */
const PARENT_POLL_MS = 5000;

/** "10" or "20%" of `total` (at least 1 for a percentage of anything). */
export function rateLimit(value: string, total: number, min: number): number {
  if (value.endsWith("%")) return Math.max(min, Math.ceil((total * Number(value.slice(0, -1))) / 100));
  return Number(value);
}

/** A child's typed parameters: the parent's, with the target's values typed as the runbook declares them. */
function childTyped(parent: ExecutionRow, target: PlannedTarget): Record<string, unknown> {
  if (target.typed) return target.typed;
  const typed = parseJson<Record<string, unknown>>(parent.typed_parameters, {});
  const declared = (parseJson<Record<string, any>>(parent.runbook, {}).parameters ?? {}) as Record<string, { type?: string }>;
  for (const [k, values] of Object.entries(target.parameters)) {
    const type = String(declared[k]?.type ?? "String");
    if (type === "StringList" || type.startsWith("List<")) typed[k] = values;
    else if (type === "Integer") typed[k] = Number(values[0]);
    else if (type === "Boolean") typed[k] = values[0] === "true";
    else if (parent.target_maps === null && k !== parent.target_parameter_name) continue;
    else typed[k] = values[0];
  }
  return typed;
}

function childRow(parent: ExecutionRow, target: PlannedTarget, now: number): ExecutionRow {
  const firstStep = (parseJson<Record<string, any>>(parent.runbook, {}).mainSteps ?? [])[0]?.name ?? "$end";
  return {
    ...parent,
    execution_id: randomUUID(),
    status: "Pending",
    parameters: JSON.stringify(target.parameters),
    typed_parameters: JSON.stringify(childTyped(parent, target)),
    parent_execution_id: parent.execution_id,
    targets: null,
    target_maps: null,
    max_concurrency: null,
    max_errors: null,
    resolved_targets: null,
    target: target.target,
    ...freshProgress(firstStep, now),
    client_token: null,
    parent_step_execution_id: null,
  };
}

/**
 * Rate control: one child execution per target, at most MaxConcurrency running at once; once more
 * than MaxErrors children failed no further child starts, and the parent ends when the running ones
 * have. The parent is Success when every child succeeded, else Failed.
 */
export async function runParent(t: Turn, kick: (id: string) => void): Promise<boolean> {
  const plan = parseJson<PlannedTarget[]>(t.exec.resolved_targets, []);
  const kids = await children(t.services.db, t.exec.execution_id);
  const active = kids.filter((k) => !isTerminal(k.status));
  const failed = kids.filter((k) => isError(k.status)).length;
  const done = kids.length - active.length;
  if (t.exec.stop_requested === "Cancel") {
    if (active.length === 0) return finish({ ...t, steps: [] }, kick, "Cancelled");
    await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
      await automationDb(tx.db)
        .updateTable("automation_executions")
        .set({ stop_requested: "Cancel", wake_at: t.now })
        .where("parent_execution_id", "=", t.exec.execution_id)
        .where("ended_at", "is", null)
        .where("stop_requested", "is", null)
        .execute();
      await automationDb(tx.db)
        .updateTable("automation_executions")
        .set({ status: "Cancelling", wake_at: t.now + PARENT_POLL_MS })
        .where("execution_id", "=", t.exec.execution_id)
        .execute();
    });
    for (const k of active) kick(k.execution_id);
    return false;
  }
  const maxErrors = rateLimit(t.exec.max_errors ?? "0", plan.length, 0);
  const concurrency = rateLimit(t.exec.max_concurrency ?? "10", plan.length, 1);
  const exceeded = failed > maxErrors;
  const startable = exceeded ? 0 : Math.min(concurrency - active.length, plan.length - kids.length);
  if (active.length === 0 && startable <= 0) {
    const message = failed
      ? `${failed} of ${plan.length} targets failed${exceeded && kids.length < plan.length ? `; more than MaxErrors (${t.exec.max_errors}) failed, so ${plan.length - kids.length} targets were not started` : ""}.`
      : null;
    await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
      await automationDb(tx.db)
        .updateTable("automation_executions")
        .set({ failure_message: message, children_done: done, children_failed: failed })
        .where("execution_id", "=", t.exec.execution_id)
        .execute();
    });
    return finish({ ...t, exec: { ...t.exec, failure_message: message }, steps: [] }, kick, failed ? "Failed" : "Success");
  }
  const started: string[] = [];
  await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
    const d = automationDb(tx.db);
    for (const target of plan.slice(kids.length, kids.length + Math.max(0, startable))) {
      const row = childRow(t.exec, target, t.now);
      await d.insertInto("automation_executions").values(row).execute();
      tx.publish(executionEvent(row, "Pending", t.now));
      started.push(row.execution_id);
    }
    const status = t.exec.status === "Pending" ? "InProgress" : t.exec.status;
    await d
      .updateTable("automation_executions")
      .set({ status, children_started: kids.length + started.length, children_done: done, children_failed: failed, wake_at: t.now + PARENT_POLL_MS })
      .where("execution_id", "=", t.exec.execution_id)
      .execute();
    if (status !== t.exec.status) tx.publish(executionEvent(t.exec, status, t.now));
  });
  for (const id of started) kick(id);
  return false;
}

import { END, ENGINE, FAIL } from "./engine-state.js";
import { executionEvent, stepEvent } from "./events.js";
import { guarded } from "./lease.js";
import { apiValues } from "./selectors.js";
import { cancelAction } from "./steps.js";
import { getStep, listSteps, parseJson, wakeNow } from "./store.js";
import { automationDb, type ExecutionRow } from "./tables.js";
import type { Turn } from "./turn.js";
import type { Services } from "../../runtime.js";
import { isTerminal } from "./statuses.js";

const FAILED = new Set(["Failed", "TimedOut", "Cancelled"]);

/** The runbook's outputs ("step.Output") from the latest run of each step. */
function runbookOutputs(t: Turn): Record<string, string[]> {
  const values: Record<string, unknown> = {};
  for (const name of t.runbook.outputs) {
    const [step, output] = [name.slice(0, name.indexOf(".")), name.slice(name.indexOf(".") + 1)];
    const row = [...t.steps].reverse().find((s) => s.step_name === step);
    const outputs = parseJson<Record<string, unknown>>(row?.outputs, {});
    if (Object.hasOwn(outputs, output)) values[name] = outputs[output];
  }
  return apiValues(values);
}

/** Tells whoever waits for this execution that it ended: a rate-control parent, or an aws:executeAutomation step. */
export async function notifyWaiters(services: Services, exec: ExecutionRow, now: number, kick: (id: string) => void): Promise<void> {
  let waiting: string | undefined = exec.parent_execution_id ?? undefined;
  if (!waiting && exec.parent_step_execution_id) waiting = (await getStep(services.db, exec.parent_step_execution_id))?.execution_id;
  if (!waiting) return;
  await wakeNow(services.db, waiting, now);
  kick(waiting);
}

/** Ends an execution: Success, or Failed when it was aborted or a critical step failed; Cancelled after a stop. */
export async function finish(t: Turn, kick: (id: string) => void, forced?: "Cancelled" | "Success" | "Failed"): Promise<boolean> {
  let status: string;
  let message = t.exec.failure_message;
  if (forced) status = forced;
  else if (t.exec.stop_requested === "Cancel" || t.exec.stop_requested === "CancelRan") status = "Cancelled";
  else if (t.exec.next_step === FAIL) {
    const lastFailed = [...t.steps].reverse().find((s) => FAILED.has(s.status) && s.parent_step_execution_id === null);
    status = lastFailed?.status === "TimedOut" ? "TimedOut" : lastFailed?.status === "Cancelled" ? "Cancelled" : "Failed";
  } else {
    const critical = t.steps.find((s) => FAILED.has(s.status) && s.is_critical === 1);
    status = critical ? "Failed" : "Success";
    if (critical && !message)
      message = `Step ${critical.step_name} ${critical.status}: ${critical.failure_message ?? ""} (the step is critical, so the execution failed).`;
  }
  const outputs = runbookOutputs(t);
  const ended = { ...t.exec, ended_at: t.now };
  await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
    await automationDb(tx.db)
      .updateTable("automation_executions")
      .set({ status, ended_at: t.now, wake_at: null, outputs: JSON.stringify(outputs), failure_message: status === "Success" ? null : message, next_step: END })
      .where("execution_id", "=", t.exec.execution_id)
      .execute();
    tx.publish(executionEvent(ended, status, t.now));
  });
  await notifyWaiters(t.services, ended, t.now, kick);
  return false;
}

/**
 * StopAutomationExecution Cancel: stops what the open steps started, marks them Cancelled, runs the
 * onCancel step of the interrupted step if it names one, and ends the execution Cancelled.
 */
export async function cancelExecution(t: Turn, kick: (id: string) => void): Promise<boolean> {
  const open = t.steps.filter((s) => !isTerminal(s.status));
  for (const row of open) await cancelAction(t, row);
  const interrupted = open.find((s) => s.parent_step_execution_id !== null) ?? open.find((s) => s.parent_step_execution_id === null);
  const onCancel = interrupted?.on_cancel?.startsWith("step:") ? interrupted.on_cancel.slice(5) : undefined;
  await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
    for (const row of open) {
      await automationDb(tx.db)
        .updateTable("automation_steps")
        .set({ status: "Cancelled", ended_at: t.now, state: null })
        .where("step_execution_id", "=", row.step_execution_id)
        .execute();
      tx.publish(stepEvent(t.exec, { ...row, ended_at: t.now }, "Cancelled", t.now));
    }
    if (onCancel) {
      await automationDb(tx.db)
        .updateTable("automation_executions")
        .set({ stop_requested: "CancelRan", next_step: onCancel, status: "Cancelling", wake_at: t.now })
        .where("execution_id", "=", t.exec.execution_id)
        .execute();
    }
  });
  if (onCancel) return true;
  const steps = await listSteps(t.services.db, t.exec.execution_id);
  return finish({ ...t, steps }, kick, "Cancelled");
}

/** StopAutomationExecution Complete: the open steps are cancelled and the execution ends Success. */
export async function completeExecution(t: Turn, kick: (id: string) => void): Promise<boolean> {
  const open = t.steps.filter((s) => !isTerminal(s.status));
  await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
    for (const row of open) {
      await automationDb(tx.db)
        .updateTable("automation_steps")
        .set({ status: "Cancelled", ended_at: t.now, state: null })
        .where("step_execution_id", "=", row.step_execution_id)
        .execute();
    }
  });
  const steps = await listSteps(t.services.db, t.exec.execution_id);
  return finish({ ...t, steps }, kick, "Success");
}

export { ENGINE };

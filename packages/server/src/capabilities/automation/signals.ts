import type { AnyDb } from "../../storage/database.js";
import type { ApprovalState } from "./actions/approve.js";
import { guarded } from "./lease.js";
import { findStep } from "./runbook.js";
import { isTerminal } from "./statuses.js";
import { applyOutcome, cancelAction } from "./steps.js";
import { parseJson } from "./store.js";
import { automationDb, type SignalRow } from "./tables.js";
import type { Turn } from "./turn.js";

export async function pendingSignals(db: AnyDb, executionId: string): Promise<SignalRow[]> {
  return automationDb(db)
    .selectFrom("automation_signals")
    .selectAll()
    .where("execution_id", "=", executionId)
    .orderBy("created_at")
    .orderBy("signal_id")
    .execute();
}

const first = (payload: Record<string, string[]>, key: string) => payload[key]?.[0] ?? "";

/**
 * Applies the signals SendAutomationSignal recorded (it checked them already): approvals and
 * rejections into the aws:approve step's state, Resume into an aws:pause step, StartStep as the next
 * step of an Interactive execution, StopStep as a cancelled step. The executor alone writes step
 * state, so a signal never races with a step's progress.
 */
export async function applySignals(t: Turn, signals: SignalRow[]): Promise<boolean> {
  const stops: string[] = [];
  await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
    const d = automationDb(tx.db);
    const open = t.steps.filter((s) => !isTerminal(s.status));
    for (const sig of signals) {
      const payload = parseJson<Record<string, string[]>>(sig.payload, {});
      if (sig.signal_type === "Approve" || sig.signal_type === "Reject") {
        const step = open.find((s) => s.action === "aws:approve");
        if (step) {
          const state = parseJson<ApprovalState | null>(step.state, null);
          if (state) {
            state.decisions.push({ approver: sig.principal_arn, decision: sig.signal_type, comment: first(payload, "Comment"), time: sig.created_at });
            step.state = JSON.stringify(state);
            await d.updateTable("automation_steps").set({ state: step.state }).where("step_execution_id", "=", step.step_execution_id).execute();
          }
        }
      } else if (sig.signal_type === "Resume") {
        const name = first(payload, "StepName");
        const step = open.find((s) => s.action === "aws:pause" && (!name || s.step_name === name));
        if (step) {
          step.state = JSON.stringify({ resumed: true });
          await d.updateTable("automation_steps").set({ state: step.state }).where("step_execution_id", "=", step.step_execution_id).execute();
        }
      } else if (sig.signal_type === "StartStep") {
        await d
          .updateTable("automation_executions")
          .set({ next_step: first(payload, "StepName"), status: "InProgress" })
          .where("execution_id", "=", t.exec.execution_id)
          .execute();
      } else if (sig.signal_type === "StopStep") {
        stops.push(first(payload, "StepExecutionId"));
      }
      await d.deleteFrom("automation_signals").where("signal_id", "=", sig.signal_id).execute();
    }
  });
  for (const id of stops) {
    const row = t.steps.find((s) => s.step_execution_id === id && !isTerminal(s.status));
    if (!row) continue;
    await cancelAction(t, row);
    await applyOutcome(t, row, findStep(t.runbook, row.step_name)?.step, {
      kind: "failed",
      status: "Cancelled",
      message: "The step was stopped (StopStep).",
    });
  }
  return true;
}

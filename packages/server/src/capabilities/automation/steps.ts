import { randomUUID } from "node:crypto";
import { ApiError } from "../../errors.js";
import { ACTIONS } from "./actions/index.js";
import type { ActionResult, ActionRun } from "./actions/types.js";
import { END, FAIL, WAIT } from "./engine-state.js";
import { stepEvent, executionEvent } from "./events.js";
import { ExecutionIdentityGone } from "./identity.js";
import { callApi } from "./internal-call.js";
import { guarded } from "./lease.js";
import { UnresolvedReference, resolveReferences } from "./references.js";
import { defaultTimeout, findStep, type RunbookStep, stepAfter } from "./runbook.js";
import { referenceScope } from "./scope.js";
import { selectOutputs } from "./selectors.js";
import { isTerminal } from "./statuses.js";
import { parseJson } from "./store.js";
import { automationDb, type StepRow } from "./tables.js";
import type { Turn } from "./turn.js";

/** Inputs as StepExecution shows them: each value as JSON text ({{ssm-secure:}} left unresolved). */
function shownInputs(inputs: Record<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])));
}

export interface LoopPlace {
  loop: StepRow;
  iteration: number;
  iteratorValue: unknown;
}

/** Records the start of a step (InProgress), so a restart resumes it rather than starting it again, then runs it. */
export async function startStep(t: Turn, name: string, place?: LoopPlace): Promise<boolean> {
  const found = findStep(t.runbook, name);
  if (!found) {
    await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
      await automationDb(tx.db)
        .updateTable("automation_executions")
        .set({ next_step: FAIL, failure_message: `The runbook has no step ${name}.`, wake_at: t.now })
        .where("execution_id", "=", t.exec.execution_id)
        .execute();
    });
    return true;
  }
  const def = found.step;
  let inputs = def.inputs;
  if (def.action !== "aws:loop") {
    try {
      const identity = await t.identity();
      inputs = (await resolveReferences(def.inputs, referenceScope(t.services, t.exec, t.steps, identity, t.now), { secure: false })) as Record<
        string,
        unknown
      >;
    } catch {
      // Shown as written; running the step reports what could not be resolved.
    }
  }
  const timeout = def.timeoutSeconds ?? defaultTimeout(def.action);
  const row: StepRow = {
    step_execution_id: randomUUID(),
    execution_id: t.exec.execution_id,
    seq: t.steps.length === 0 ? 0 : Math.max(...t.steps.map((s) => s.seq)) + 1,
    step_name: def.name,
    action: def.action,
    status: "InProgress",
    inputs: shownInputs(inputs),
    outputs: "{}",
    response: null,
    response_code: null,
    failure_message: null,
    failure_details: null,
    on_failure: def.onFailure ?? null,
    on_cancel: def.onCancel ?? null,
    is_critical: def.isCritical ? 1 : 0,
    is_end: def.isEnd ? 1 : 0,
    next_step: def.nextStep ?? null,
    max_attempts: def.maxAttempts,
    attempt: 1,
    timeout_seconds: timeout ?? null,
    state: null,
    parent_step_execution_id: place?.loop.step_execution_id ?? null,
    iteration: place?.iteration ?? null,
    iterator_value: place ? JSON.stringify(place.iteratorValue ?? null) : null,
    overridden_parameters: null,
    valid_next_steps: null,
    started_at: t.now,
    ended_at: null,
    deadline: timeout ? t.now + timeout * 1000 : null,
  };
  const status = t.exec.status === "Cancelling" ? "Cancelling" : "InProgress";
  await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
    await automationDb(tx.db).insertInto("automation_steps").values(row).execute();
    await automationDb(tx.db)
      .updateTable("automation_executions")
      .set({ current_step_name: def.name, current_action: def.action, status, ...(place ? {} : { next_step: null }), wake_at: t.now })
      .where("execution_id", "=", t.exec.execution_id)
      .execute();
    tx.publish(stepEvent(t.exec, row, "InProgress", t.now));
    if (t.exec.status !== status) tx.publish(executionEvent(t.exec, status, t.now));
  });
  if (def.action === "aws:loop") return true;
  // Run it at once on what this turn just wrote; a signal or a stop that came meanwhile is taken at the next turn.
  const exec = { ...t.exec, current_step_name: def.name, current_action: def.action, status, ...(place ? {} : { next_step: null }), wake_at: t.now };
  return runStep({ ...t, exec, steps: [...t.steps, row] }, row);
}

function actionRun(t: Turn, row: StepRow, def: RunbookStep, inputs: Record<string, unknown>, identity: ActionRun["identity"]): ActionRun {
  const scope = { accountId: t.exec.account_id, region: t.exec.region };
  return {
    services: t.services,
    exec: t.exec,
    step: row,
    def,
    inputs,
    state: parseJson<unknown>(row.state, undefined),
    identity,
    scope,
    now: t.now,
    call: (service, api, input) => callApi(t.services, identity, service, api, input, { executionId: t.exec.execution_id, scope }),
    kick: t.kick,
  };
}

/** Stops what an open step started (a command, a child execution): the execution is cancelled or the step stopped. */
export async function cancelAction(t: Turn, row: StepRow): Promise<void> {
  const action = ACTIONS[row.action];
  const def = findStep(t.runbook, row.step_name)?.step;
  if (!action?.cancel || !def) return;
  const identity = await t.identity().catch(() => undefined);
  if (identity) await action.cancel(actionRun(t, row, def, {}, identity)).catch(() => undefined);
}

/** Runs (or polls) the action of an open step and stores what came of it. */
export async function runStep(t: Turn, row: StepRow): Promise<boolean> {
  const found = findStep(t.runbook, row.step_name);
  if (!found) return applyOutcome(t, row, undefined, { kind: "failed", message: `The runbook has no step ${row.step_name}.` });
  const def = found.step;
  const action = ACTIONS[row.action];
  let outcome: ActionResult;
  try {
    const identity = await t.identity();
    if (!action) {
      outcome = { kind: "failed", message: `openssm can't run the action ${row.action}.` };
    } else if (row.deadline !== null && t.now >= row.deadline) {
      await action.cancel?.(actionRun(t, row, def, {}, identity)).catch(() => undefined);
      outcome = { kind: "failed", status: "TimedOut", message: `Step timed out after ${row.timeout_seconds} seconds.` };
    } else {
      const inputs = (await resolveReferences(def.inputs, referenceScope(t.services, t.exec, t.steps, identity, t.now), { secure: true })) as Record<
        string,
        unknown
      >;
      outcome = await action.run(actionRun(t, row, def, inputs, identity));
    }
  } catch (e) {
    if (e instanceof UnresolvedReference || e instanceof ExecutionIdentityGone) outcome = { kind: "failed", message: e.message };
    else if (e instanceof ApiError) outcome = { kind: "failed", message: `${e.code}: ${e.message}` };
    else {
      if ((e as Error).name === "LostLease") throw e;
      t.services.log.error({ err: e, executionId: t.exec.execution_id, step: row.step_name }, "automation step failed unexpectedly");
      outcome = { kind: "failed", message: `openssm failed running the step (${(e as Error).message}); the server log has the details.` };
    }
  }
  return applyOutcome(t, row, def, outcome);
}

/** The step after `row` when it succeeded (or failed with onFailure Continue). */
function following(t: Turn, row: StepRow, def: RunbookStep | undefined, chosen?: string): string {
  if (chosen) return chosen;
  if (def?.isEnd) return END;
  return def?.nextStep ?? stepAfter(t.runbook, row.step_name) ?? END;
}

export async function applyOutcome(t: Turn, row: StepRow, def: RunbookStep | undefined, outcome: ActionResult): Promise<boolean> {
  const id = t.exec.execution_id;
  const inLoop = row.parent_step_execution_id !== null;
  const keepCancelling = (s: string) => (t.exec.status === "Cancelling" ? "Cancelling" : s);
  if (outcome.kind === "wait") {
    const stepStatus = outcome.status ?? "InProgress";
    const wakeCandidates = [outcome.wakeAt, row.deadline].filter((x): x is number => x !== null);
    const wakeAt = wakeCandidates.length ? Math.min(...wakeCandidates) : null;
    const execStatus = keepCancelling(stepStatus === "Waiting" ? "Waiting" : "InProgress");
    await guarded(t.services, id, t.owner, async (tx) => {
      const d = automationDb(tx.db);
      await d
        .updateTable("automation_steps")
        .set({ state: JSON.stringify(outcome.state ?? null), status: stepStatus })
        .where("step_execution_id", "=", row.step_execution_id)
        .execute();
      const pending = await d.selectFrom("automation_signals").select("signal_id").where("execution_id", "=", id).limit(1).executeTakeFirst();
      await d
        .updateTable("automation_executions")
        .set({ status: execStatus, wake_at: pending ? t.now : wakeAt })
        .where("execution_id", "=", id)
        .execute();
      if (row.status !== stepStatus) tx.publish(stepEvent(t.exec, row, stepStatus, t.now));
      if (t.exec.status !== execStatus) tx.publish(executionEvent(t.exec, execStatus, t.now));
      for (const event of outcome.events ?? []) tx.publish(event);
    });
    return wakeAt !== null && wakeAt <= t.now;
  }
  if (outcome.kind === "failed" && outcome.status !== "Cancelled" && row.attempt < row.max_attempts) {
    await guarded(t.services, id, t.owner, async (tx) => {
      await automationDb(tx.db)
        .updateTable("automation_steps")
        .set({ attempt: row.attempt + 1, state: null, failure_message: outcome.message })
        .where("step_execution_id", "=", row.step_execution_id)
        .execute();
    });
    return true;
  }
  const outputs = { ...(outcome.outputs ?? {}), ...(def && outcome.kind === "success" ? selectOutputs(outcome.response, def.outputs) : {}) };
  const status = outcome.kind === "success" ? "Success" : (outcome.status ?? "Failed");
  let next: string | null = null;
  let failureMessage: string | null = null;
  if (!inLoop) {
    if (outcome.kind === "success") next = following(t, row, def, outcome.nextStep);
    else {
      const onFailure = def?.onFailure ?? "Abort";
      if (onFailure === "Continue") next = following(t, row, def);
      else if (onFailure.startsWith("step:")) next = onFailure.slice(5);
      else {
        next = FAIL;
        failureMessage = `Step ${row.step_name} ${status === "TimedOut" ? "timed out" : status === "Cancelled" ? "was cancelled" : "failed"}: ${outcome.message}`;
      }
    }
    if (t.exec.stop_requested === "CancelRan" && next !== FAIL) next = END;
    if (t.exec.mode === "Interactive" && next !== END && next !== FAIL) next = WAIT;
  }
  const chosen = outcome.kind === "success" ? (outcome.nextStep ?? null) : null;
  const variables =
    outcome.kind === "success" && outcome.variables ? { ...parseJson<Record<string, unknown>>(t.exec.variables, {}), ...outcome.variables } : undefined;
  await guarded(t.services, id, t.owner, async (tx) => {
    const d = automationDb(tx.db);
    await d
      .updateTable("automation_steps")
      .set({
        status,
        outputs: JSON.stringify(outputs),
        response: outcome.response === undefined ? null : JSON.stringify(outcome.response).slice(0, 64 * 1024),
        failure_message: outcome.kind === "failed" ? outcome.message : null,
        failure_details:
          outcome.kind === "failed"
            ? JSON.stringify({
                FailureStage: "Execution",
                FailureType: outcome.failureType ?? "Verification",
                Details: { Message: [outcome.message.slice(0, 500)] },
              })
            : null,
        next_step: chosen ?? row.next_step,
        valid_next_steps:
          t.exec.mode === "Interactive" && !inLoop
            ? JSON.stringify(following(t, row, def, chosen ?? undefined) === END ? [] : [following(t, row, def, chosen ?? undefined)])
            : null,
        ended_at: t.now,
        state: null,
      })
      .where("step_execution_id", "=", row.step_execution_id)
      .execute();
    const set: Record<string, unknown> = { wake_at: t.now };
    if (!inLoop) set.next_step = next;
    if (failureMessage) set.failure_message = failureMessage;
    if (variables) set.variables = JSON.stringify(variables);
    await d.updateTable("automation_executions").set(set).where("execution_id", "=", id).execute();
    tx.publish(stepEvent(t.exec, { ...row, ended_at: t.now }, status, t.now));
  });
  return true;
}

export const isOpen = (s: StepRow) => !isTerminal(s.status);

import { ChoiceError, evaluateCondition } from "./actions/choices.js";
import { guarded } from "./lease.js";
import { UnresolvedReference, resolveReferences } from "./references.js";
import { findStep, loopSteps } from "./runbook.js";
import { referenceScope } from "./scope.js";
import { applyOutcome, startStep } from "./steps.js";
import { parseJson } from "./store.js";
import { automationDb, type StepRow } from "./tables.js";
import type { Turn } from "./turn.js";

const MAX_ITERATIONS = 100;

interface LoopState {
  iteration: number;
  iterators: unknown[] | null;
  max: number;
}

const FAILED = new Set(["Failed", "TimedOut", "Cancelled"]);

async function saveLoop(t: Turn, loop: StepRow, state: LoopState): Promise<void> {
  const value = state.iterators ? state.iterators[state.iteration - 1] : undefined;
  const outputs = { CurrentIteration: state.iteration, ...(state.iterators ? { CurrentIteratorValue: value } : {}) };
  await guarded(t.services, t.exec.execution_id, t.owner, async (tx) => {
    await automationDb(tx.db)
      .updateTable("automation_steps")
      .set({ state: JSON.stringify(state), outputs: JSON.stringify(outputs) })
      .where("step_execution_id", "=", loop.step_execution_id)
      .execute();
  });
}

/**
 * aws:loop: runs its Steps once per item of Iterators (for each), or again while LoopCondition holds
 * (do while), at most MaxIterations (100) times. Each inner step is a step execution of its own under
 * the loop's; a failing inner step with onFailure Abort (the default) fails the loop.
 */
export async function advanceLoop(t: Turn, loop: StepRow): Promise<boolean> {
  const def = findStep(t.runbook, loop.step_name)?.step;
  if (!def) return applyOutcome(t, loop, undefined, { kind: "failed", message: `The runbook has no step ${loop.step_name}.` });
  const inner = loopSteps(def);
  const identity = await t.identity();
  const resolve = (v: unknown) => resolveReferences(v, referenceScope(t.services, t.exec, t.steps, identity, t.now), { secure: false });
  let state = parseJson<LoopState | null>(loop.state, null);
  if (!state) {
    try {
      const max = Math.min(MAX_ITERATIONS, Number(def.inputs.MaxIterations ?? MAX_ITERATIONS) || MAX_ITERATIONS);
      let iterators: unknown[] | null = null;
      if (def.inputs.Iterators !== undefined) {
        const v = await resolve(def.inputs.Iterators);
        iterators = (Array.isArray(v) ? v : [v]).slice(0, MAX_ITERATIONS);
        if (iterators.length === 0) return applyOutcome(t, loop, def, { kind: "success", outputs: { CurrentIteration: 0 } });
      }
      state = { iteration: 1, iterators, max };
    } catch (e) {
      if (e instanceof UnresolvedReference) return applyOutcome(t, loop, def, { kind: "failed", message: e.message });
      throw e;
    }
    await saveLoop(t, loop, state);
    return true;
  }
  const ran = t.steps.filter((s) => s.parent_step_execution_id === loop.step_execution_id && s.iteration === state.iteration);
  const last = ran[ran.length - 1];
  if (last && FAILED.has(last.status)) {
    const lastDef = inner.find((s) => s.name === last.step_name);
    if ((lastDef?.onFailure ?? "Abort") !== "Continue") {
      return applyOutcome(t, loop, def, {
        kind: "failed",
        status: last.status === "Cancelled" ? "Cancelled" : "Failed",
        message: `Step ${last.step_name} of iteration ${state.iteration} ${last.status}: ${last.failure_message ?? ""}`,
      });
    }
  }
  let nextInner: string | undefined;
  if (!last) nextInner = inner[0]?.name;
  else {
    const lastDef = inner.find((s) => s.name === last.step_name);
    const named = last.next_step && inner.some((s) => s.name === last.next_step) ? last.next_step : undefined;
    if (named) nextInner = named;
    else if (!lastDef?.isEnd) nextInner = inner[inner.findIndex((s) => s.name === last.step_name) + 1]?.name;
  }
  const value = state.iterators ? state.iterators[state.iteration - 1] : undefined;
  if (nextInner && !ran.some((s) => s.step_name === nextInner)) return startStep(t, nextInner, { loop, iteration: state.iteration, iteratorValue: value });
  // The iteration is over: another one, or the loop is done.
  let again: boolean;
  if (state.iterators) again = state.iteration < state.iterators.length;
  else {
    try {
      again = evaluateCondition((await resolve(def.inputs.LoopCondition)) as Record<string, unknown>);
    } catch (e) {
      if (e instanceof UnresolvedReference || e instanceof ChoiceError)
        return applyOutcome(t, loop, def, { kind: "failed", message: `LoopCondition: ${e.message}` });
      throw e;
    }
  }
  if (again && state.iteration < state.max) {
    await saveLoop(t, loop, { ...state, iteration: state.iteration + 1 });
    return true;
  }
  return applyOutcome(t, loop, def, {
    kind: "success",
    outputs: { CurrentIteration: state.iteration, ...(state.iterators ? { CurrentIteratorValue: value } : {}) },
  });
}

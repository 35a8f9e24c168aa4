import type { Services } from "../../runtime.js";
import { END, ENGINE, FAIL, LEASE_MS, WAIT } from "./engine-state.js";
import { executionEvent } from "./events.js";
import { cancelExecution, completeExecution, finish } from "./finish.js";
import { type ExecutionIdentity, loadIdentity } from "./identity.js";
import { claim, guarded, LostLease, release } from "./lease.js";
import { advanceLoop } from "./loop.js";
import { runParent } from "./parent.js";
import { toRunbook } from "./runbook.js";
import { applySignals, pendingSignals } from "./signals.js";
import { isTerminal } from "./statuses.js";
import { runStep, startStep } from "./steps.js";
import { getExecution, listSteps } from "./store.js";
import { automationDb } from "./tables.js";
import type { Turn } from "./turn.js";

/**
 * The durable executor. An execution advances in small transactions (start a step, store what its
 * action did, choose the next step, end), each only while this replica holds the execution's lease;
 * waits (sleep, approvals, polling a command) end the turn with wake_at set, and the scheduler —
 * or a signal, or a child that ended — brings it back. After a crash the rows say where it was: an
 * open step is resumed by its action (which saved what it started), a finished one never runs again.
 */

/** Most executions this replica advances at once. */
const MAX_RUNNING = 256;
/** Most transitions in one turn before it yields to others. */
const MAX_TRANSITIONS = 200;

/** Advances an execution on this replica soon (unless it already runs here: then once more after). */
export function kick(services: Services, executionId: string): void {
  const engine = services.own(ENGINE);
  if (engine.stopped) return;
  if (engine.running.has(executionId)) {
    engine.again.add(executionId);
    return;
  }
  const run = advance(services, executionId)
    .catch((err) => services.log.error({ err, executionId }, "automation executor failed"))
    .finally(() => {
      engine.running.delete(executionId);
      if (engine.again.delete(executionId)) kick(services, executionId);
    });
  engine.running.set(executionId, run);
}

async function advance(services: Services, executionId: string): Promise<void> {
  const engine = services.own(ENGINE);
  if (!(await claim(services, executionId, engine.owner))) return;
  const renew = setInterval(() => {
    claim(services, executionId, engine.owner).catch(() => undefined);
  }, LEASE_MS / 3);
  renew.unref();
  try {
    const cache: RunCache = {};
    for (let i = 0; i < MAX_TRANSITIONS && !engine.stopped; i++) {
      if (!(await turn(services, executionId, engine.owner, cache))) return;
    }
    // Yielded: the scheduler comes back at once.
    await automationDb(services.db)
      .updateTable("automation_executions")
      .set({ wake_at: services.clock.now() })
      .where("execution_id", "=", executionId)
      .execute();
  } catch (e) {
    if (e instanceof LostLease) return;
    services.log.error({ err: e, executionId }, "automation execution failed unexpectedly");
    await failUnexpectedly(services, executionId, engine.owner, e as Error).catch(() => undefined);
  } finally {
    clearInterval(renew);
    await release(services, executionId, engine.owner).catch(() => undefined);
  }
}

async function failUnexpectedly(services: Services, executionId: string, owner: string, err: Error): Promise<void> {
  const exec = await getExecution(services.db, executionId);
  if (!exec || isTerminal(exec.status)) return;
  const now = services.clock.now();
  await guarded(services, executionId, owner, async (tx) => {
    await automationDb(tx.db)
      .updateTable("automation_executions")
      .set({ status: "Failed", ended_at: now, wake_at: null, failure_message: `openssm failed running the execution: ${err.message}` })
      .where("execution_id", "=", executionId)
      .execute();
    tx.publish(executionEvent({ ...exec, ended_at: now }, "Failed", now));
  });
}

/** What one run of the executor over an execution loads once for all its transitions. */
interface RunCache {
  identity?: Promise<ExecutionIdentity>;
}

/** One transition of an execution; false when it now waits (or ended). */
async function turn(services: Services, executionId: string, owner: string, cache: RunCache): Promise<boolean> {
  const exec = await getExecution(services.db, executionId);
  if (!exec || isTerminal(exec.status)) return false;
  const now = services.clock.now();
  const k = (id: string) => kick(services, id);
  const identity = () => (cache.identity ??= loadIdentity(services.db, exec.identity_arn, executionId));
  const base = { services, exec, owner, now, runbook: toRunbook(JSON.parse(exec.runbook)), steps: [], kick: k, identity };
  if (exec.resolved_targets !== null && exec.target === null) return runParent(base, k);
  const t: Turn = { ...base, steps: await listSteps(services.db, executionId) };
  const signals = await pendingSignals(services.db, executionId);
  if (signals.length) return applySignals(t, signals);
  if (exec.stop_requested === "Cancel") return cancelExecution(t, k);
  if (exec.stop_requested === "Complete") return completeExecution(t, k);
  const open = t.steps.filter((s) => !isTerminal(s.status));
  const inner = open.find((s) => s.parent_step_execution_id !== null);
  if (inner) return runStep(t, inner);
  const main = open.find((s) => s.parent_step_execution_id === null);
  if (main) return main.action === "aws:loop" ? advanceLoop(t, main) : runStep(t, main);
  if (exec.next_step === END || exec.next_step === FAIL) return finish(t, k);
  if (exec.next_step === WAIT || exec.next_step === null) {
    // Interactive: waits for SendAutomationSignal StartStep.
    await guarded(services, executionId, owner, async (tx) => {
      await automationDb(tx.db)
        .updateTable("automation_executions")
        .set({ status: "Waiting", wake_at: null })
        .where("execution_id", "=", executionId)
        .execute();
      if (exec.status !== "Waiting") tx.publish(executionEvent(exec, "Waiting", now));
    });
    return false;
  }
  return startStep(t, exec.next_step);
}

/** The scheduler's job: advance every execution whose wake time has come and that no replica holds. */
export async function wakeDue(services: Services, now: number): Promise<void> {
  const engine = services.own(ENGINE);
  const room = MAX_RUNNING - engine.running.size;
  if (room <= 0) return;
  const wall = Date.now();
  const due = await automationDb(services.db)
    .selectFrom("automation_executions")
    .select("execution_id")
    .where("wake_at", "<=", now)
    .where("ended_at", "is", null)
    .where((eb) => eb.or([eb("lease_until", "is", null), eb("lease_until", "<", wall)]))
    .orderBy("wake_at")
    .limit(room)
    .execute();
  for (const { execution_id } of due) if (!engine.running.has(execution_id)) kick(services, execution_id);
}

/** Stops this server's executor: no new turns; the running ones end at their next transition. */
export async function stopExecutor(services: Services): Promise<void> {
  const engine = services.own(ENGINE);
  engine.stopped = true;
  await Promise.allSettled([...engine.running.values()]);
}

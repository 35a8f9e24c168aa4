import { jobMessageId, Topic } from "@openssm/protocol";
import { sendToNode } from "../../agents/index.js";
import type { ServerSlot, Services } from "../../runtime.js";
import { registeredNodeIds } from "../nodes/index.js";
import { publishCommandStatus } from "./events.js";
import { moveInvocation } from "./invocations.js";
import { concurrencyLimit, errorLimit, nextRolloutStep } from "./rate-control.js";
import { commandStatus, countInvocations, isError, isTerminal } from "./statuses.js";
import { getCommand, type InvocationState, type InvocationTally, listInvocationNodes, listNotStarted, tallyInvocations } from "./store.js";
import { type CommandRow, commandDb } from "./tables.js";
import { compiledOnce } from "../../storage/compiled-once.js";

/** How long a pass waits for more requests to fold in. */
const FOLD_MS = 10;

/** The command advances running in this server, with whether another pass was asked for meanwhile. */
const ACTIVE: ServerSlot<Map<string, { again: boolean; done: Promise<void> }>> = { name: "commands.active-rollouts", create: () => new Map() };

/**
 * Moves a command forward: starts invocations as concurrency allows, stops the ones not started
 * after a cancel (Canceled) or once errors passed MaxErrors (Terminated), then brings the command's
 * status and counts up to date (publishing its status-change event).
 *
 * One pass at a time per command, so rate control does not overshoot. A pass starts a few
 * milliseconds after it is asked for, and calls that arrive before or during it are folded into it
 * or one more pass: a thousand replies arriving together cost tens of passes, not a thousand. A pass
 * reads counts (the database groups the invocations by state) and only the invocations it starts or
 * stops, so a pass over 10,000 invocations stays cheap. The returned promise resolves after a pass
 * that started after the call.
 */
export function advanceCommand(services: Services, commandId: string): Promise<void> {
  const active = services.own(ACTIVE);
  const running = active.get(commandId);
  if (running) {
    running.again = true;
    return running.done;
  }
  const entry = { again: true, done: Promise.resolve() };
  entry.done = (async () => {
    try {
      await new Promise((resolve) => setTimeout(resolve, FOLD_MS));
      while (entry.again) {
        entry.again = false;
        await advance(services, commandId).catch((err) => services.log.error({ err, commandId }, "advancing a command failed"));
      }
    } finally {
      active.delete(commandId);
    }
  })();
  active.set(commandId, entry);
  return entry.done;
}

/** Resolves once the passes running in this server are done (at stop, before storage closes). */
export async function settleRollouts(services: Services): Promise<void> {
  await Promise.all([...services.own(ACTIVE).values()].map((e) => e.done));
}

async function advance(services: Services, commandId: string): Promise<void> {
  const cmd = await getCommand(services.db, commandId);
  if (!cmd || cmd.finished_at !== null) return;
  const concurrency = concurrencyLimit(cmd.max_concurrency, cmd.target_count);
  const maxErrors = errorLimit(cmd.max_errors, cmd.target_count);
  for (let round = 0; round < 1000; round++) {
    const tally = await tallyInvocations(services.db, commandId);
    const step = nextRolloutStep(
      {
        notStarted: sumOf(tally, (t) => t.dispatched === 0 && t.terminal === 0),
        inFlight: sumOf(tally, (t) => t.dispatched === 1 && t.terminal === 0),
        errors: sumOf(tally, (t) => isError(t.status_details)),
        cancelRequested: cmd.cancel_requested === 1,
      },
      concurrency,
      maxErrors,
    );
    const now = services.clock.now();
    if ("stop" in step) {
      for (const inv of await listNotStarted(services.db, commandId)) await moveInvocation(services, commandId, inv.instance_id, step.stop, now);
      break;
    }
    if (step.start === 0) break;
    let ended = 0;
    const starting = await listNotStarted(services.db, commandId, step.start);
    const scope = { accountId: cmd.account_id, region: cmd.region };
    for (let i = 0; i < starting.length; i += REGISTERED_CHECK_CHUNK) {
      const chunk = starting.slice(i, i + REGISTERED_CHECK_CHUNK);
      // Which of these nodes are still registered: one statement for the chunk rather than a read per node.
      const registered = new Set(
        await registeredNodeIds(
          services.db,
          scope,
          chunk.map((inv) => inv.instance_id),
        ),
      );
      for (const inv of chunk) if (await dispatch(services, cmd, inv, now, registered.has(inv.instance_id))) ended++;
    }
    // Invocations that ended at once (an unknown node) free their slot: go round again.
    if (ended === 0) break;
  }
  await refreshCommandStatus(services, commandId);
}

/** How many nodes one registration check of a rollout pass names. */
const REGISTERED_CHECK_CHUNK = 500;

const markDispatched = compiledOnce<[number, string, string], never>((db, now, commandId, instanceId) =>
  commandDb(db)
    .updateTable("commands_invocations")
    .set({ dispatched: 1, dispatched_at: now, updated_at: now })
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .where("dispatched", "=", 0)
    .where("terminal", "=", 0),
);

/** Hands one invocation to delivery; true when it ended at once instead (the node is gone: Undeliverable). */
async function dispatch(services: Services, cmd: CommandRow, inv: InvocationState, now: number, registered: boolean): Promise<boolean> {
  const r = await markDispatched(services.db, now, inv.command_id, inv.instance_id);
  if (Number(r.numAffectedRows) !== 1) return false;
  if (!registered) {
    await moveInvocation(services, inv.command_id, inv.instance_id, "Undeliverable", now, {
      set: { trace_output: `Managed node ${inv.instance_id} is not registered any more.` },
    });
    return true;
  }
  await sendToNode(services, {
    messageId: jobMessageId(cmd.command_id, inv.instance_id),
    accountId: cmd.account_id,
    region: cmd.region,
    instanceId: inv.instance_id,
    topic: Topic.SendCommand,
    payload: cmd.payload,
    expiresAt: inv.delivery_deadline,
  });
  return false;
}

/** Recounts the command from its invocations; publishes the status-change event when Status changed. */
export async function refreshCommandStatus(services: Services, commandId: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const cmd = await getCommand(services.db, commandId);
    if (!cmd || cmd.finished_at !== null) return;
    const tally = await tallyInvocations(services.db, commandId);
    const summaries = tally.map((t) => ({ details: t.status_details, dispatched: t.dispatched === 1, count: t.n }));
    const next = commandStatus({
      invocations: summaries,
      cancelRequested: cmd.cancel_requested === 1,
      maxErrors: errorLimit(cmd.max_errors, cmd.target_count),
    });
    const counts = countInvocations(summaries);
    const final = tally.every((t) => isTerminal(t.status_details));
    const now = services.clock.now();
    // The new status and its event commit together: whoever sees the status can find the event.
    const moved = await services.transaction(async (tx) => {
      const r = await commandDb(tx.db)
        .updateTable("commands_commands")
        .set({
          status: next.status,
          status_details: next.details,
          target_count: counts.targetCount,
          completed_count: counts.completedCount,
          error_count: counts.errorCount,
          delivery_timed_out_count: counts.deliveryTimedOutCount,
          finished_at: final ? now : null,
        })
        .where("command_id", "=", commandId)
        .where("status", "=", cmd.status)
        .where("status_details", "=", cmd.status_details)
        .where("completed_count", "=", cmd.completed_count)
        .where("finished_at", "is", null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) return false;
      if (next.status !== cmd.status) {
        await publishCommandStatus(services, cmd, next.status, await listInvocationNodes(tx.db, commandId), now, tx.publish);
      }
      return true;
    });
    if (!moved) continue;
    return;
  }
}

function sumOf(tally: InvocationTally[], pred: (t: InvocationTally) => boolean): number {
  return tally.reduce((n, t) => (pred(t) ? n + t.n : n), 0);
}

import { jobMessageId, parseJobMessageId, Topic } from "@openssm/protocol";
import { overdueDeliveries, withdrawFromNode } from "../../agents/index.js";
import type { Services } from "../../runtime.js";
import { sendCancelToAgent } from "./cancellation.js";
import { moveInvocation } from "./invocations.js";
import { advanceCommand } from "./rollout.js";
import { getInvocation } from "./store.js";
import { commandDb } from "./tables.js";

const BATCH = 500;

/**
 * Run Command's periodic work (on one replica): invocations not acknowledged by their delivery
 * deadline are DeliveryTimedOut (their job is taken back); invocations still running past their
 * execution deadline are ExecutionTimedOut (the agent is told to cancel); deliveries the node did not
 * acknowledge in time are Delayed until they are handed out again.
 */
export async function runCommandTimeouts(services: Services, now: number): Promise<void> {
  const d = commandDb(services.db);
  const touched = new Set<string>();

  const undelivered = await d
    .selectFrom("commands_invocations")
    .selectAll()
    .where("terminal", "=", 0)
    .where("acknowledged_at", "is", null)
    .where("delivery_deadline", "<=", now)
    .limit(BATCH)
    .execute();
  for (const inv of undelivered) {
    if (inv.dispatched === 1) await withdrawFromNode(services, jobMessageId(inv.command_id, inv.instance_id));
    const details = inv.status_details === "Cancelling" ? "Canceled" : "DeliveryTimedOut";
    if (await moveInvocation(services, inv.command_id, inv.instance_id, details, now)) touched.add(inv.command_id);
  }

  const overrun = await d
    .selectFrom("commands_invocations")
    .selectAll()
    .where("terminal", "=", 0)
    .where("execution_deadline", "<=", now)
    .limit(BATCH)
    .execute();
  for (const inv of overrun) {
    const details = inv.status_details === "Cancelling" ? "Canceled" : "ExecutionTimedOut";
    if (await moveInvocation(services, inv.command_id, inv.instance_id, details, now)) {
      touched.add(inv.command_id);
      if (!inv.cancel_message_id) await sendCancelToAgent(services, inv, now);
    }
  }

  for (const message of await overdueDeliveries(services, now)) {
    const key = parseJobMessageId(message.message_id);
    if (!message.topic.startsWith(Topic.SendCommand) || !key) continue;
    const commandId = key.commandId;
    const inv = await getInvocation(services.db, commandId, message.instance_id);
    if (inv && inv.acknowledged_at === null) {
      if (await moveInvocation(services, commandId, message.instance_id, "Delayed", now, { from: ["InProgress"] })) touched.add(commandId);
    }
  }

  for (const commandId of touched) await advanceCommand(services, commandId);
}

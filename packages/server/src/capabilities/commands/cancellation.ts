import { randomUUID } from "node:crypto";
import { type CancelCommandPayload, jobMessageId, Topic } from "@openssm/protocol";
import { deliveryOf, sendToNode, withdrawFromNode } from "../../agents/index.js";
import type { Services } from "../../runtime.js";
import { moveInvocation } from "./invocations.js";
import { commandDb, type InvocationRow } from "./tables.js";

/** How long a cancel request stays deliverable to a node that is away. */
const CANCEL_DELIVERY_MS = 60 * 60 * 1000;

/** Sends aws.ssm.cancelCommand for the invocation's job; remembers its id on the invocation. */
export async function sendCancelToAgent(services: Services, inv: InvocationRow, now: number): Promise<void> {
  const target = jobMessageId(inv.command_id, inv.instance_id);
  const messageId = jobMessageId(randomUUID(), inv.instance_id);
  const payload: CancelCommandPayload = { CancelMessageId: target };
  await commandDb(services.db)
    .updateTable("commands_invocations")
    .set({ cancel_message_id: messageId })
    .where("command_id", "=", inv.command_id)
    .where("instance_id", "=", inv.instance_id)
    .execute();
  await sendToNode(services, {
    messageId,
    accountId: inv.account_id,
    region: inv.region,
    instanceId: inv.instance_id,
    topic: Topic.CancelCommand,
    payload: JSON.stringify(payload),
    expiresAt: now + CANCEL_DELIVERY_MS,
  });
}

/**
 * Cancels one invocation: one never handed to the node is Canceled at once (its queued job is taken
 * back); one the node may have is Cancelling until the agent confirms, through its reply to the job
 * or to the cancel message.
 */
export async function cancelInvocation(services: Services, inv: InvocationRow, now: number): Promise<void> {
  if (inv.terminal === 1 || inv.status_details === "Cancelling") return;
  if (inv.dispatched === 0) {
    await moveInvocation(services, inv.command_id, inv.instance_id, "Canceled", now);
    return;
  }
  const jobId = jobMessageId(inv.command_id, inv.instance_id);
  const delivery = await deliveryOf(services, jobId);
  if (!delivery || (delivery.state === "queued" && delivery.deliveries === 0)) {
    if (!delivery || (await withdrawFromNode(services, jobId))) {
      await moveInvocation(services, inv.command_id, inv.instance_id, "Canceled", now);
      return;
    }
  }
  if (await moveInvocation(services, inv.command_id, inv.instance_id, "Cancelling", now)) await sendCancelToAgent(services, inv, now);
}

import type { SendReplyPayload } from "@openssm/protocol";
import type { Services } from "../runtime.js";
import { type AgentChannel, handlersFor } from "./delivery-handlers.js";
import { acknowledgeMessage, failMessage, finishMessage, type MessageRow, recordReply, replySeen, retryMessageLater } from "./queue.js";

/** Document statuses after which the agent sends nothing more about a message. */
const FINAL_DOCUMENT_STATUSES = new Set(["Success", "Failed", "Cancelled", "TimedOut", "Skipped", "TestFailure", "TestPass"]);

export function isFinalDocumentStatus(status: string): boolean {
  return FINAL_DOCUMENT_STATUSES.has(status);
}

export type ReplyOutcome = "Created" | "NoActionTaken";

export class ReplyPayloadError extends Error {}

/** Parses a SendReply payload, refusing what is not one. */
export function parseReplyPayload(text: string): SendReplyPayload {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReplyPayloadError("the reply Payload is not JSON");
  }
  const p = parsed as Partial<SendReplyPayload> | null;
  if (!p || typeof p !== "object" || typeof p.documentStatus !== "string") {
    throw new ReplyPayloadError("the reply Payload has no documentStatus; send the agent's SendReplyPayload");
  }
  if (p.runtimeStatus !== undefined && p.runtimeStatus !== null && typeof p.runtimeStatus !== "object") {
    throw new ReplyPayloadError("runtimeStatus must be an object keyed by step name");
  }
  return p as SendReplyPayload;
}

/**
 * Applies a reply once: a reply id seen before changes nothing. A reply also acknowledges the message
 * (the agent clearly has it), and a final document status finishes it.
 */
export async function takeReply(
  services: Services,
  r: { message: MessageRow; replyId: string; payload: SendReplyPayload; channel: AgentChannel; now: number },
): Promise<ReplyOutcome> {
  const { message, replyId, payload, channel, now } = r;
  if (await replySeen(services.db, message.message_id, replyId)) return "NoActionTaken";
  const handlers = handlersFor(services, message.topic);
  if (message.state === "queued" && (await acknowledgeMessage(services.db, message.message_id, now))) {
    for (const h of handlers) await h.acknowledged?.(services, { message, channel, now });
  }
  for (const h of handlers) await h.reply?.(services, { message, channel, now, replyId, payload });
  if (isFinalDocumentStatus(payload.documentStatus)) await finishMessage(services.db, message.message_id, now);
  await recordReply(services.db, message.message_id, replyId, now);
  return "Created";
}

/** The agent confirmed it has the message. */
export async function takeAcknowledgement(services: Services, message: MessageRow, channel: AgentChannel, now: number): Promise<void> {
  if (!(await acknowledgeMessage(services.db, message.message_id, now))) return;
  for (const h of handlersFor(services, message.topic)) await h.acknowledged?.(services, { message, channel, now });
}

/** The agent refused the message for good. */
export async function takeFailure(services: Services, message: MessageRow, reason: string, channel: AgentChannel, now: number): Promise<void> {
  if (!(await failMessage(services.db, message.message_id, reason, now))) return;
  for (const h of handlersFor(services, message.topic)) await h.failed?.(services, { message, channel, now, reason });
}

/** The agent could not take the message now (busy, closing): hand it out again a little later. */
export async function takeTransientRefusal(services: Services, message: MessageRow, now: number): Promise<void> {
  await retryMessageLater(services.db, message.message_id, now, 5_000);
}

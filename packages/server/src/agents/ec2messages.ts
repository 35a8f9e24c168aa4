import { createHash } from "node:crypto";
import { type InstanceMessage, isoMillis, parseJobMessageId } from "@openssm/protocol";
import { ApiError } from "../errors.js";
import { type OperationDef, ANY_RESOURCE, op, type RequestContext } from "../runtime.js";
import { controlFrameHandler, handlersFor } from "./delivery-handlers.js";
import { type DeliveryHub, deliveryHub } from "./hub.js";
import { callingNode, heardFrom } from "./node-caller.js";
import { claimMessage, deliverableMessages, getMessage, type MessageRow } from "./queue.js";
import { parseReplyPayload, ReplyPayloadError, takeAcknowledgement, takeFailure, takeReply } from "./replies.js";

/** Messages handed out per GetMessages. */
const MAX_MESSAGES = 10;
/** Visibility when the agent does not say (it says 10 s). */
const DEFAULT_VISIBILITY_SECONDS = 30;
/** How often a held poll looks into storage by itself (wake-ups come sooner for this replica's messages). */
const RECHECK_MS = 1000;

function str(input: Record<string, unknown>, name: string, min: number, max = 2048): string {
  const v = input[name];
  if (typeof v !== "string") throw new ApiError("ValidationException", `${name} is required and must be a string.`);
  if (v.length < min || v.length > max) throw new ApiError("ValidationException", `${name} must have ${min} to ${max} characters, got ${v.length}.`);
  return v;
}

/** The message the node names, which must be one addressed to it. */
async function nodeMessage(ctx: RequestContext, input: Record<string, unknown>): Promise<{ node: string; message: MessageRow | undefined; messageId: string }> {
  const messageId = str(input, "MessageId", 16, 400);
  const node = callingNode(ctx);
  const parsed = parseJobMessageId(messageId);
  if (!parsed) throw new ApiError("InvalidMessageIdException", `${messageId} is not a message id of the form aws.ssm.<commandId>.<instanceId>.`);
  if (parsed.instanceId !== node) throw new ApiError("AuthorizationFailureException", `Message ${messageId} is not addressed to managed node ${node}.`);
  const message = await getMessage(ctx.services.db, messageId);
  if (message && message.instance_id !== node)
    throw new ApiError("AuthorizationFailureException", `Message ${messageId} is not addressed to managed node ${node}.`);
  await heardFrom(ctx, node, "ec2messages");
  return { node, message, messageId };
}

function toInstanceMessage(row: MessageRow): InstanceMessage {
  return {
    CreatedDate: isoMillis(row.created_at),
    Destination: row.instance_id,
    MessageId: row.message_id,
    Payload: row.payload,
    PayloadDigest: createHash("sha256").update(row.payload).digest("hex"),
    Topic: row.topic,
  };
}

/** Claims what the node may have now; messages go over a live control channel of this replica instead. */
async function claimForPoll(ctx: RequestContext, node: string, visibilityMs: number): Promise<MessageRow[]> {
  const hub = deliveryHub(ctx.services);
  if (hub.channel(node)) return [];
  const now = ctx.services.clock.now();
  const taken: MessageRow[] = [];
  for (const row of await deliverableMessages(ctx.services.db, node, now, MAX_MESSAGES)) {
    // Session starts and the like go over a control channel only.
    if (controlFrameHandler(ctx.services, row.topic)) continue;
    if (await claimMessage(ctx.services.db, row, now, visibilityMs, "ec2messages")) taken.push(row);
  }
  return taken;
}

/** GetMessages: a long poll, held until a message is there or the hold time (12 s) passes, then an empty list. */
const getMessages = op<Record<string, unknown>, unknown>({
  service: "ec2messages",
  name: "GetMessages",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const destination = str(input, "Destination", 10, 200);
    const requestId = str(input, "MessagesRequestId", 16, 200);
    const node = callingNode(ctx, destination);
    const vis = input.VisibilityTimeoutInSeconds;
    if (vis !== undefined && (typeof vis !== "number" || !Number.isInteger(vis) || vis < 1 || vis > 43200)) {
      throw new ApiError("ValidationException", "VisibilityTimeoutInSeconds must be a whole number of seconds from 1 to 43200.");
    }
    const visibilityMs = (typeof vis === "number" ? vis : DEFAULT_VISIBILITY_SECONDS) * 1000;
    await heardFrom(ctx, node, "ec2messages");
    const hub = deliveryHub(ctx.services);
    const deadline = Date.now() + ctx.services.config.agentPollSeconds * 1000;
    refuseDeregistered(hub, node);
    let taken = await claimForPoll(ctx, node, visibilityMs);
    while (taken.length === 0 && !hub.isStopped && Date.now() < deadline) {
      await hub.wait(node, Math.min(RECHECK_MS, deadline - Date.now()));
      if (hub.isStopped) break;
      refuseDeregistered(hub, node);
      taken = await claimForPoll(ctx, node, visibilityMs);
    }
    for (const row of taken) await notifyDelivered(ctx, row);
    return { Destination: destination, MessagesRequestId: requestId, Messages: taken.map(toInstanceMessage) };
  },
});

/**
 * A poll held for a node that was deregistered meanwhile ends at once, refused as its next call would
 * be: its credentials are gone.
 */
function refuseDeregistered(hub: DeliveryHub, node: string): void {
  if (hub.isDeregistered(node)) throw new ApiError("UnrecognizedClientException", "The security token included in the request is invalid.");
}

async function notifyDelivered(ctx: RequestContext, row: MessageRow): Promise<void> {
  const now = ctx.services.clock.now();
  const message = { ...row, deliveries: row.deliveries + 1 };
  for (const h of handlersFor(ctx.services, row.topic)) await h.delivered?.(ctx.services, { message, channel: "ec2messages", now });
}

/** AcknowledgeMessage: the agent took the message; it is not handed out again. */
const acknowledgeMessage = op<Record<string, unknown>, unknown>({
  service: "ec2messages",
  name: "AcknowledgeMessage",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const { message } = await nodeMessage(ctx, input);
    if (message) await takeAcknowledgement(ctx.services, message, "ec2messages", ctx.services.clock.now());
    return {};
  },
});

/** SendReply: progress and results; idempotent by ReplyId, and final statuses stay final. */
const sendReply = op<Record<string, unknown>, unknown>({
  service: "ec2messages",
  name: "SendReply",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const { message, messageId } = await nodeMessage(ctx, input);
    const replyId = str(input, "ReplyId", 16, 200);
    const text = str(input, "Payload", 1, 2 * 1024 * 1024);
    let payload: ReturnType<typeof parseReplyPayload>;
    try {
      payload = parseReplyPayload(text);
    } catch (e) {
      if (e instanceof ReplyPayloadError) throw new ApiError("ValidationException", `${e.message}.`);
      throw e;
    }
    // A reply about a message this server never sent (or long purged) is taken and dropped, so the agent stops re-sending it.
    if (!message) return { MessageId: messageId, ReplyId: replyId, ReplyStatus: "NoActionTaken" };
    const outcome = await takeReply(ctx.services, { message, replyId, payload, channel: "ec2messages", now: ctx.services.clock.now() });
    return { MessageId: messageId, ReplyId: replyId, ReplyStatus: outcome };
  },
});

/** FailMessage: the agent could not handle the message (no handler, an internal error). */
const failMessage = op<Record<string, unknown>, unknown>({
  service: "ec2messages",
  name: "FailMessage",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const { message } = await nodeMessage(ctx, input);
    const type = input.FailureType;
    if (type !== "InternalHandlerException" && type !== "NoHandlerExists") {
      throw new ApiError("ValidationException", "FailureType must be InternalHandlerException or NoHandlerExists.");
    }
    if (message) await takeFailure(ctx.services, message, `agent FailMessage: ${type}`, "ec2messages", ctx.services.clock.now());
    return {};
  },
});

/** DeleteMessage: the agent is done with the message (its self-update uses it). */
const deleteMessage = op<Record<string, unknown>, unknown>({
  service: "ec2messages",
  name: "DeleteMessage",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const { message } = await nodeMessage(ctx, input);
    if (message) await takeAcknowledgement(ctx.services, message, "ec2messages", ctx.services.clock.now());
    return {};
  },
});

export const ec2messagesOperations: OperationDef<any, any>[] = [getMessages, acknowledgeMessage, sendReply, failMessage, deleteMessage];

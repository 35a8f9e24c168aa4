import { randomUUID } from "node:crypto";
import type { AgentTaskPayload, MGSPayload } from "@openssm/protocol";
import { encodeJsonMessage, MessageType } from "@openssm/protocol";
import { type ChannelHome, controlChannelHome, controlChannelOf, type DeliveryHandler, type MessageRow, sendToNode } from "../../agents/index.js";
import type { Services } from "../../runtime.js";
import type { SessionRow } from "./tables.js";

/** Topic of session start messages (interactive_shell). */
export const START_SESSION_TOPIC = "aws.ssm.startSession";
/** A start handed to another replica must reach the node soon, or not at all (the client gives up). */
const REMOTE_START_TTL_MS = 30_000;

/** Where the node's MGS control channel is (this replica or another live one); undefined: not connected. */
export function nodeConnection(services: Services, instanceId: string): Promise<ChannelHome | undefined> {
  return controlChannelHome(services, instanceId);
}

/** The `interactive_shell` message that starts a session on the node (its task as JSON). */
function interactiveShell(services: Services, sessionId: string, taskJson: string): Buffer {
  const payload: MGSPayload = { Content: taskJson, TaskId: sessionId, Topic: START_SESSION_TOPIC, SchemaVersion: 1 };
  return encodeJsonMessage(MessageType.InteractiveShell, payload, { createdDate: services.clock.now() });
}

/**
 * A session start queued by another replica for a node whose channel is here: the control channel
 * sends it as interactive_shell, as it would have been sent directly.
 */
export const remoteStartDelivery: DeliveryHandler = {
  topic: START_SESSION_TOPIC,
  controlFrame(services: Services, message: MessageRow): Buffer {
    const task = JSON.parse(message.payload) as AgentTaskPayload;
    return interactiveShell(services, task.SessionId, message.payload);
  },
};

export function sendToChannel(services: Services, instanceId: string, frame: Buffer): boolean {
  return controlChannelOf(services, instanceId)?.send(frame) ?? false;
}

/**
 * Sends `interactive_shell` (the session start) to the node: at once when its control channel is
 * here, else through storage to the replica that holds it. False when the channel closed meanwhile.
 */
export async function sendStartSession(
  services: Services,
  instanceId: string,
  task: AgentTaskPayload,
  home: ChannelHome,
  accountId: string,
  region: string,
): Promise<boolean> {
  const taskJson = JSON.stringify(task);
  if (home.local) return sendToChannel(services, instanceId, interactiveShell(services, task.SessionId, taskJson));
  await sendToNode(services, {
    messageId: `${START_SESSION_TOPIC}.${task.SessionId}`,
    accountId,
    region,
    instanceId,
    topic: START_SESSION_TOPIC,
    payload: taskJson,
    expiresAt: services.clock.now() + REMOTE_START_TTL_MS,
  });
  return true;
}

/** Sends `channel_closed` on the node's control channel: the agent ends its side of the session. */
export function sendChannelClosed(services: Services, row: SessionRow): boolean {
  const body = {
    MessageType: MessageType.ChannelClosed,
    MessageId: randomUUID(),
    CreatedDate: new Date(services.clock.now()).toISOString(),
    DestinationId: row.target,
    SessionId: row.session_id,
    SchemaVersion: 1,
  };
  return sendToChannel(services, row.target, encodeJsonMessage(MessageType.ChannelClosed, body, { createdDate: services.clock.now() }));
}

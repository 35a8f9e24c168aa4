import { randomUUID } from "node:crypto";
import type { AgentTaskPayload, MGSPayload } from "@openssm/protocol";
import { encodeJsonMessage, MessageType } from "@openssm/protocol";
import { controlChannelOf, hasControlChannelHere } from "../../agents/index.js";
import type { Services } from "../../runtime.js";
import type { SessionRow } from "./tables.js";

/** Topic of session start messages (interactive_shell). */
export const START_SESSION_TOPIC = "aws.ssm.startSession";

/** Whether this replica holds the node's MGS control channel. */
export function nodeConnected(services: Services, instanceId: string): boolean {
  return hasControlChannelHere(services, instanceId);
}

export function sendToChannel(services: Services, instanceId: string, frame: Buffer): boolean {
  return controlChannelOf(services, instanceId)?.send(frame) ?? false;
}

/** Sends `interactive_shell` (the session start) to the node; false when its control channel is not here. */
export function sendStartSession(services: Services, instanceId: string, task: AgentTaskPayload): boolean {
  const payload: MGSPayload = { Content: JSON.stringify(task), TaskId: task.SessionId, Topic: START_SESSION_TOPIC, SchemaVersion: 1 };
  return sendToChannel(services, instanceId, encodeJsonMessage(MessageType.InteractiveShell, payload, { createdDate: services.clock.now() }));
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

import type { DecodedAgentMessage } from "@openssm/protocol";
import type { ServerSlot, Services } from "../../runtime.js";
import type { ControlChannelHandle } from "../hub.js";

/**
 * Handlers for control-channel message types other than Run Command's (sessions:
 * agent_task_complete, agent_task_reply, ...). The handler gets the channel it came on, to answer.
 */
export type ControlMessageHandler = (services: Services, channel: ControlChannelHandle, message: DecodedAgentMessage) => Promise<void>;

/** This server's handlers, by message type. */
const CONTROL_MESSAGE_HANDLERS: ServerSlot<Map<string, ControlMessageHandler>> = { name: "agents.control-message-handlers", create: () => new Map() };

export function onControlMessage(services: Services, messageType: string, handler: ControlMessageHandler): void {
  services.own(CONTROL_MESSAGE_HANDLERS).set(messageType, handler);
}

export function controlMessageHandler(services: Services, messageType: string): ControlMessageHandler | undefined {
  return services.own(CONTROL_MESSAGE_HANDLERS).get(messageType);
}

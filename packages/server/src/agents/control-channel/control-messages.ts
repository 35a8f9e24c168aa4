import type { DecodedAgentMessage } from "@openssm/protocol";
import type { Services } from "../../runtime.js";
import type { ControlChannelHandle } from "../hub.js";

/**
 * Handlers for control-channel message types other than Run Command's (sessions:
 * agent_task_complete, agent_task_reply, ...). The handler gets the channel it came on, to answer.
 */
export type ControlMessageHandler = (services: Services, channel: ControlChannelHandle, message: DecodedAgentMessage) => Promise<void>;

const registries = new WeakMap<Services, Map<string, ControlMessageHandler>>();

export function onControlMessage(services: Services, messageType: string, handler: ControlMessageHandler): void {
  const map = registries.get(services) ?? new Map<string, ControlMessageHandler>();
  map.set(messageType, handler);
  registries.set(services, map);
}

export function controlMessageHandler(services: Services, messageType: string): ControlMessageHandler | undefined {
  return registries.get(services)?.get(messageType);
}

import type { SendReplyPayload } from "@openssm/protocol";
import type { ServerSlot, Services } from "../runtime.js";
import type { MessageRow } from "./queue.js";

export type AgentChannel = "ssmmessages" | "ec2messages";

export interface DeliveryEvent {
  message: MessageRow;
  channel: AgentChannel;
  now: number;
}

export interface ReplyEvent extends DeliveryEvent {
  replyId: string;
  payload: SendReplyPayload;
}

export interface FailureEvent extends DeliveryEvent {
  reason: string;
}

/**
 * What a capability that sends messages to nodes (Run Command) learns about them. Handlers are
 * called on the replica that took the event; they must be idempotent (replies are at-least-once).
 */
export interface DeliveryHandler {
  /** Topic prefix the handler owns: aws.ssm.sendCommand, aws.ssm.cancelCommand. */
  topic: string;
  /** The message was handed to the node (again, when `message.deliveries` > 1). */
  delivered?(services: Services, event: DeliveryEvent): Promise<void>;
  /** The agent confirmed it took the message. */
  acknowledged?(services: Services, event: DeliveryEvent): Promise<void>;
  /** A reply the agent sent about the message (any order, possibly repeated with a new id). */
  reply?(services: Services, event: ReplyEvent): Promise<void>;
  /** The agent refused the message; it will not be handed out again. */
  failed?(services: Services, event: FailureEvent): Promise<void>;
  /**
   * For messages that are not agent_jobs (a session start): the AgentMessage the control channel
   * sends instead. Such a message is done once sent (nothing acknowledges it), and it is never
   * handed to an ec2messages poll.
   */
  controlFrame?(services: Services, message: MessageRow): Buffer;
}

/** The handlers the capabilities of this server registered. */
const DELIVERY_HANDLERS: ServerSlot<DeliveryHandler[]> = { name: "agents.delivery-handlers", create: () => [] };

export function registerDeliveryHandler(services: Services, handler: DeliveryHandler): void {
  services.own(DELIVERY_HANDLERS).push(handler);
}

/** The handler that turns the message into its own control-channel frame, if its topic has one. */
export function controlFrameHandler(services: Services, topic: string): DeliveryHandler | undefined {
  return handlersFor(services, topic).find((h) => h.controlFrame);
}

export function handlersFor(services: Services, topic: string): DeliveryHandler[] {
  return services.own(DELIVERY_HANDLERS).filter((h) => topic.startsWith(h.topic));
}

import type { Capability, ServerSlot, Services } from "../runtime.js";
import { registerCreateControlChannel } from "./control-channel/create-route.js";
import { registerControlChannelUpgrade } from "./control-channel/upgrade.js";
import { ec2messagesOperations } from "./ec2messages.js";
import { deliveryHub } from "./hub.js";
import { onNodeDeregistered } from "./node-identity.js";
import { enqueueMessage, enqueueMessages, getMessage, type MessageRow, type NewMessage, unacknowledgedDeliveries, withdrawMessage } from "./queue.js";
import { agentMigrations } from "./tables.js";
import { liveReplicaIds } from "./replicas.js";
import { wakeups } from "../cluster/wakeups.js";

export type { AgentChannel, DeliveryEvent, DeliveryHandler, FailureEvent, ReplyEvent } from "./delivery-handlers.js";
export { registerDeliveryHandler } from "./delivery-handlers.js";
export type { ControlChannelHandle } from "./hub.js";
export type { ChannelHome } from "./replicas.js";
export type { MessageRow, NewMessage } from "./queue.js";
export { onControlMessage, type ControlMessageHandler } from "./control-channel/control-messages.js";
export { addUpgradeRoute, rejectUpgrade } from "./upgrade-routes.js";
export {
  announceNodeDeregistered,
  type DeregistrationListener,
  INSTANCE_ID,
  type NodeDirectory,
  nodeArn,
  nodeIdOf,
  onNodeDeregistered,
  provideNodeDirectory,
} from "./node-identity.js";

/** What this layer's start() subscribed to, to undo at stop. */
const SUBSCRIPTIONS: ServerSlot<(() => void)[]> = { name: "agents.subscriptions", create: () => [] };

/**
 * The agent protocols' delivery side: a per-node message queue in storage, ec2messages polling
 * (GetMessages, AcknowledgeMessage, SendReply, FailMessage, DeleteMessage) and MGS control channels
 * (CreateControlChannel, the signed WebSocket, agent_job / agent_job_ack / agent_job_reply).
 */
export const agentChannelsCapability: Capability = {
  name: "agents",
  migrations: agentMigrations,
  operations: ec2messagesOperations,
  http(app, deps) {
    registerCreateControlChannel(app, deps);
    registerControlChannelUpgrade(app, deps);
  },
  start(services) {
    const hub = deliveryHub(services);
    hub.start();
    const wake = wakeups(services);
    wake.sender = hub.replicaId;
    wake.peers = (db) => liveReplicaIds(db);
    services.own(SUBSCRIPTIONS).push(
      onNodeDeregistered(services, (_scope, instanceId) => {
        hub.nodeDeregistered(instanceId);
        wake.publish("deregistered", instanceId);
      }),
      // Another replica queued a message for a node, or deregistered one: act now rather than at the next look into storage.
      wake.on("node", (instanceId) => hub.notify(instanceId)),
      wake.on("deregistered", (instanceId) => {
        if (hub.serves(instanceId)) hub.nodeDeregistered(instanceId);
      }),
    );
    wake.start();
  },
  async stop(services) {
    for (const unsubscribe of services.own(SUBSCRIPTIONS).splice(0)) unsubscribe();
    await deliveryHub(services).stop();
    await wakeups(services).stop();
  },
};

/**
 * Queues a message for a node and hands it over at once when the node holds a control channel here
 * or has a poll open here; other replicas are woken through PostgreSQL NOTIFY (and look every 200 ms
 * anyway). Idempotent by message id.
 */
export async function sendToNode(services: Services, message: NewMessage): Promise<boolean> {
  const created = await enqueueMessage(services.db, message, services.clock.now());
  tellNode(services, message.instanceId);
  return created;
}

/** A message waits for the node: push it over the node's channel here, or wake the replica that holds it. */
function tellNode(services: Services, instanceId: string): void {
  const hub = deliveryHub(services);
  hub.notify(instanceId);
  // The node's channel may be on another replica: wake it (PostgreSQL NOTIFY; its polling is the fallback).
  if (!hub.channel(instanceId)) wakeups(services).publish("node", instanceId);
}

/** `sendToNode` for many messages: queued a few hundred a statement, then every node told at once. */
export async function sendToNodes(services: Services, messages: NewMessage[]): Promise<void> {
  await enqueueMessages(services.db, messages, services.clock.now());
  for (const m of messages) tellNode(services, m.instanceId);
}

/** Takes back a message the agent has not acknowledged; the row as it was, or undefined if it had moved on. */
export function withdrawFromNode(services: Services, messageId: string): Promise<MessageRow | undefined> {
  return withdrawMessage(services.db, messageId, services.clock.now());
}

/** The delivery state of a message. */
export function deliveryOf(services: Services, messageId: string): Promise<MessageRow | undefined> {
  return getMessage(services.db, messageId);
}

/** Messages handed out but not acknowledged in time: their delivery is being retried. */
export function overdueDeliveries(services: Services, now: number): Promise<MessageRow[]> {
  return unacknowledgedDeliveries(services.db, now);
}

/** Whether the node holds a control channel on this replica. */
export function hasControlChannelHere(services: Services, instanceId: string): boolean {
  return deliveryHub(services).channel(instanceId) !== undefined;
}

/** Where the node's control channel is: on this replica, on another live one (with its addresses), or nowhere. */
export function controlChannelHome(services: Services, instanceId: string) {
  return deliveryHub(services).home(instanceId);
}

/** This process's id among the replicas sharing the database. */
export function thisReplicaId(services: Services): string {
  return deliveryHub(services).replicaId;
}

/** The node's control channel on this replica, to send other AgentMessages (sessions). */
export function controlChannelOf(services: Services, instanceId: string) {
  return deliveryHub(services).channel(instanceId);
}

import { compiledOnce } from "../storage/compiled-once.js";
import type { AnyDb } from "../storage/database.js";
import { type AgentTables, agentDb } from "./tables.js";

export type MessageRow = AgentTables["agent_messages"];

export interface NewMessage {
  messageId: string;
  accountId: string;
  region: string;
  instanceId: string;
  topic: string;
  payload: string;
  /** No delivery after this instant (epoch ms). */
  expiresAt?: number;
}

function messageRow(m: NewMessage, now: number): MessageRow {
  return {
    message_id: m.messageId,
    account_id: m.accountId,
    region: m.region,
    instance_id: m.instanceId,
    topic: m.topic,
    payload: m.payload,
    created_at: now,
    state: "queued",
    visible_at: now,
    expires_at: m.expiresAt ?? null,
    deliveries: 0,
    first_delivered_at: null,
    last_delivered_at: null,
    last_channel: null,
    acknowledged_at: null,
    finished_at: null,
    failure: null,
  };
}

/** Puts a message in the node's queue; a message id already queued is left as it is (idempotent). */
export async function enqueueMessage(db: AnyDb, m: NewMessage, now: number): Promise<boolean> {
  const r = await insertMessage(db, m.messageId, m.accountId, m.region, m.instanceId, m.topic, m.payload, now, m.expiresAt ?? null);
  return Number(r.numAffectedRows ?? 0) > 0;
}

const insertMessage = compiledOnce<[string, string, string, string, string, string, number, number | null], never>(
  (db, messageId, accountId, region, instanceId, topic, payload, now, expiresAt) =>
    agentDb(db)
      .insertInto("agent_messages")
      .values({
        ...messageRow({ messageId, accountId, region, instanceId, topic, payload }, now),
        expires_at: expiresAt,
      })
      .onConflict((oc) => oc.column("message_id").doNothing()),
);

/** Puts several messages in their nodes' queues, a few hundred a statement; ids already queued are left as they are. */
export async function enqueueMessages(db: AnyDb, messages: NewMessage[], now: number): Promise<void> {
  for (let i = 0; i < messages.length; i += ENQUEUE_CHUNK) {
    await agentDb(db)
      .insertInto("agent_messages")
      .values(messages.slice(i, i + ENQUEUE_CHUNK).map((m) => messageRow(m, now)))
      .onConflict((oc) => oc.column("message_id").doNothing())
      .execute();
  }
}

/** Messages one insert of `enqueueMessages` holds (17 columns each: well under both engines' parameter limits). */
const ENQUEUE_CHUNK = 200;

const selectMessage = compiledOnce<[string], MessageRow>((db, messageId) =>
  agentDb(db).selectFrom("agent_messages").selectAll().where("message_id", "=", messageId),
);

export async function getMessage(db: AnyDb, messageId: string): Promise<MessageRow | undefined> {
  return (await selectMessage(db, messageId)).rows[0];
}

/** Messages the node may be handed now: queued, visible, not expired; oldest first. */
const selectDeliverable = compiledOnce<[string, number, number], MessageRow>((db, instanceId, now, limit) =>
  agentDb(db)
    .selectFrom("agent_messages")
    .selectAll()
    .where("instance_id", "=", instanceId)
    .where("state", "=", "queued")
    .where("visible_at", "<=", now)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .orderBy("created_at")
    .orderBy("message_id")
    .limit(limit),
);

export async function deliverableMessages(db: AnyDb, instanceId: string, now: number, limit: number): Promise<MessageRow[]> {
  return (await selectDeliverable(db, instanceId, now, limit)).rows;
}

/** Above this many nodes, `nodesWithDeliverable` reads deliverable messages by state rather than by node. */
const LARGE_NODE_LIST = 500;

/** Every node with a message deliverable now, on any replica (the agent_messages_by_state index). */
async function deliverableNodes(db: AnyDb, now: number): Promise<string[]> {
  const rows = await agentDb(db)
    .selectFrom("agent_messages")
    .select("instance_id")
    .distinct()
    .where("state", "=", "queued")
    .where("visible_at", "<=", now)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .execute();
  return rows.map((r) => r.instance_id);
}

/** The nodes a replica serves: how many, which, and whether one is among them. */
export interface ServedNodes {
  readonly servedCount: number;
  servedIds(): Iterable<string>;
  serves(instanceId: string): boolean;
}

/** Of the nodes served, the ones with a message to hand out now. */
export async function nodesWithDeliverable(db: AnyDb, nodes: ServedNodes, now: number): Promise<string[]> {
  if (nodes.servedCount === 0) return [];
  // A replica holding thousands of channels asks this five times a second: a statement naming every
  // node costs more than reading the few deliverable messages (by state) and keeping this replica's.
  if (nodes.servedCount > LARGE_NODE_LIST) return (await deliverableNodes(db, now)).filter((id) => nodes.serves(id));
  const rows = await agentDb(db)
    .selectFrom("agent_messages")
    .select("instance_id")
    .distinct()
    .where("instance_id", "in", [...nodes.servedIds()])
    .where("state", "=", "queued")
    .where("visible_at", "<=", now)
    .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
    .execute();
  return rows.map((r) => r.instance_id);
}

/**
 * Takes a message for one delivery: hides it for the visibility timeout, after which it is handed out
 * again unless acknowledged. Atomic across replicas: false when someone else took it first.
 */
const updateClaim = compiledOnce<[number, number, number, number, string, string, number], never>(
  (db, visibleAt, deliveries, firstDeliveredAt, now, channel, messageId, previousDeliveries) =>
    agentDb(db)
      .updateTable("agent_messages")
      .set({ visible_at: visibleAt, deliveries, first_delivered_at: firstDeliveredAt, last_delivered_at: now, last_channel: channel })
      .where("message_id", "=", messageId)
      .where("state", "=", "queued")
      .where("deliveries", "=", previousDeliveries)
      .where("visible_at", "<=", now),
);

export async function claimMessage(db: AnyDb, row: MessageRow, now: number, visibilityMs: number, channel: string): Promise<boolean> {
  const r = await updateClaim(db, now + visibilityMs, row.deliveries + 1, row.first_delivered_at ?? now, now, channel, row.message_id, row.deliveries);
  return Number(r.numAffectedRows) === 1;
}

/** The agent took the message (AcknowledgeMessage, agent_job_ack 200, or a first reply): no more redelivery. */
const updateAcknowledged = compiledOnce<[number, string], never>((db, now, messageId) =>
  agentDb(db)
    .updateTable("agent_messages")
    .set({ state: "acknowledged", acknowledged_at: now })
    .where("message_id", "=", messageId)
    .where("state", "=", "queued"),
);

export async function acknowledgeMessage(db: AnyDb, messageId: string, now: number): Promise<boolean> {
  return Number((await updateAcknowledged(db, now, messageId)).numAffectedRows) === 1;
}

/** The agent reported a final result: the message is done. */
const updateFinished = compiledOnce<[number, string], never>((db, now, messageId) =>
  agentDb(db)
    .updateTable("agent_messages")
    .set({ state: "done", finished_at: now })
    .where("message_id", "=", messageId)
    .where("state", "in", ["queued", "acknowledged"]),
);

export async function finishMessage(db: AnyDb, messageId: string, now: number): Promise<void> {
  await updateFinished(db, now, messageId);
}

/** The agent refused the message (FailMessage, an agent_job_ack error): it is not handed out again. */
export async function failMessage(db: AnyDb, messageId: string, failure: string, now: number): Promise<boolean> {
  const r = await agentDb(db)
    .updateTable("agent_messages")
    .set({ state: "failed", failure: failure.slice(0, 200), finished_at: now })
    .where("message_id", "=", messageId)
    .where("state", "in", ["queued", "acknowledged"])
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1;
}

/** Hands the message out again after `delayMs` (the agent was busy). */
export async function retryMessageLater(db: AnyDb, messageId: string, now: number, delayMs: number): Promise<void> {
  await agentDb(db)
    .updateTable("agent_messages")
    .set({ visible_at: now + delayMs })
    .where("message_id", "=", messageId)
    .where("state", "=", "queued")
    .execute();
}

/**
 * Takes a message back before the agent acknowledged it (delivery timeout, cancel before delivery).
 * Returns the row as it was when it was still queued, or undefined when it had moved on.
 */
export async function withdrawMessage(db: AnyDb, messageId: string, now: number): Promise<MessageRow | undefined> {
  const before = await getMessage(db, messageId);
  if (!before || before.state !== "queued") return undefined;
  const r = await agentDb(db)
    .updateTable("agent_messages")
    .set({ state: "withdrawn", finished_at: now })
    .where("message_id", "=", messageId)
    .where("state", "=", "queued")
    .executeTakeFirst();
  return Number(r.numUpdatedRows) === 1 ? before : undefined;
}

/** Messages handed out but not acknowledged within their visibility timeout (the delivery will be retried). */
export function unacknowledgedDeliveries(db: AnyDb, now: number, limit = 500): Promise<MessageRow[]> {
  return agentDb(db)
    .selectFrom("agent_messages")
    .selectAll()
    .where("state", "=", "queued")
    .where("deliveries", ">", 0)
    .where("visible_at", "<=", now)
    .limit(limit)
    .execute();
}

/** Whether this reply was taken before; records it when not. */
const selectReply = compiledOnce<[string, string], { reply_id: string }>((db, messageId, replyId) =>
  agentDb(db).selectFrom("agent_replies").select("reply_id").where("message_id", "=", messageId).where("reply_id", "=", replyId),
);

export async function replySeen(db: AnyDb, messageId: string, replyId: string): Promise<boolean> {
  return (await selectReply(db, messageId, replyId)).rows.length > 0;
}

const insertReply = compiledOnce<[string, string, number], never>((db, messageId, replyId, now) =>
  agentDb(db)
    .insertInto("agent_replies")
    .values({ message_id: messageId, reply_id: replyId, received_at: now })
    .onConflict((oc) => oc.columns(["message_id", "reply_id"]).doNothing()),
);

export async function recordReply(db: AnyDb, messageId: string, replyId: string, now: number): Promise<void> {
  await insertReply(db, messageId, replyId, now);
}

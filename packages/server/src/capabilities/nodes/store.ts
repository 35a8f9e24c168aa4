import type { ServerSlot, Services } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import { getTags } from "../tags/store.js";
import { type PingStatus, pingStatus } from "./ping.js";
import { type InstanceRow, nodeDb } from "./tables.js";
import { inScope, type Scope } from "../../storage/scope.js";

export type { Scope } from "../../storage/scope.js";

/** What other capabilities know about a managed node. */
export interface NodeRecord {
  instanceId: string;
  accountId: string;
  region: string;
  name?: string;
  pingStatus: PingStatus;
  platformType?: string;
  platformName?: string;
  agentVersion?: string;
  tags: Record<string, string>;
  deregistered: boolean;
  lastPingAt?: number;
}

/** Tags of managed nodes live in the shared tag store under this resource type. */
export const NODE_RESOURCE_TYPE = "ManagedInstance";

export { nodeArn } from "../../agents/index.js";

export async function findInstance(db: AnyDb, scope: Scope, instanceId: string): Promise<InstanceRow | undefined> {
  return nodeDb(db).selectFrom("nodes_instances").selectAll().where("instance_id", "=", instanceId).where(inScope(scope)).executeTakeFirst();
}

/** Nodes deregistered (by this replica or another) at or after `since`: a short list, read through its own index. */
export async function deregisteredSince(db: AnyDb, since: number): Promise<string[]> {
  const rows = await nodeDb(db).selectFrom("nodes_instances").select("instance_id").where("deregistered_at", ">=", since).execute();
  return rows.map((r) => r.instance_id);
}

/** The node by id alone (ids are globally unique): for authentication, where the scope is not known yet. */
export async function findInstanceById(db: AnyDb, instanceId: string): Promise<InstanceRow | undefined> {
  return nodeDb(db).selectFrom("nodes_instances").selectAll().where("instance_id", "=", instanceId).executeTakeFirst();
}

export async function toNodeRecord(db: AnyDb, row: InstanceRow, now: number): Promise<NodeRecord> {
  const deregistered = row.deregistered_at !== null;
  const scope = { accountId: row.account_id, region: row.region };
  return {
    instanceId: row.instance_id,
    accountId: row.account_id,
    region: row.region,
    name: row.name ?? undefined,
    pingStatus: pingStatus(row.last_ping_at, deregistered, now),
    platformType: row.platform_type ?? undefined,
    platformName: row.platform_name ?? undefined,
    agentVersion: row.agent_version ?? undefined,
    tags: deregistered ? {} : await getTags(db, scope, NODE_RESOURCE_TYPE, row.instance_id),
    deregistered,
    lastPingAt: row.last_ping_at ?? undefined,
  };
}

/**
 * Minimum time between two stored contacts of the same node from touch (polls come every few seconds,
 * channel pings every 54 s): well inside the 6-minute Online window, and 10,000 held channels cost some
 * 60 writes a second rather than 185.
 */
const TOUCH_WRITE_INTERVAL_MS = 120_000;
/** When this server last stored each node's contact, by account/region/node/channel. */
const LAST_TOUCH: ServerSlot<Map<string, number>> = { name: "nodes.last-touch", create: () => new Map() };

/** Records contact with a node (a poll, a held control channel). Cheap: writes at most every 2 minutes per node. */
export async function touch(services: Services, scope: Scope, instanceId: string, now: number, channel?: "ssmmessages" | "ec2messages"): Promise<void> {
  const db = services.db;
  const lastTouch = services.own(LAST_TOUCH);
  const key = `${scope.accountId}/${scope.region}/${instanceId}/${channel ?? ""}`;
  const previous = lastTouch.get(key);
  if (previous !== undefined && now - previous >= 0 && now - previous < TOUCH_WRITE_INTERVAL_MS) return;
  if (lastTouch.size > 100_000) lastTouch.clear();
  lastTouch.set(key, now);
  const row = await findInstance(db, scope, instanceId);
  if (!row || row.deregistered_at !== null) return;
  const set: Partial<InstanceRow> = { last_ping_at: Math.max(now, row.last_ping_at ?? 0) };
  if (channel) {
    const info = JSON.parse(row.info) as Record<string, unknown>;
    if (info.SSMConnectionChannel !== channel) set.info = JSON.stringify({ ...info, SSMConnectionChannel: channel });
  }
  await nodeDb(db)
    .updateTable("nodes_instances")
    .set(set)
    .where("instance_id", "=", instanceId)
    .where(inScope(scope))
    .where("deregistered_at", "is", null)
    .execute();
}

/** Forgets the touch throttle of a node (after deregistration). */
export function forgetTouches(services: Services, instanceId: string): void {
  const lastTouch = services.own(LAST_TOUCH);
  for (const k of lastTouch.keys()) if (k.includes(`/${instanceId}/`)) lastTouch.delete(k);
}

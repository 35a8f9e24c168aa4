import { replicaUrls } from "../http/public-urls.js";
import type { Services } from "../runtime.js";
import type { AnyDb } from "../storage/database.js";
import { agentDb } from "./tables.js";

/** A replica that has not written its heartbeat for this long is taken to be gone. */
export const REPLICA_TTL_MS = 20_000;
/** How often a replica writes its heartbeat. */
export const HEARTBEAT_MS = 5_000;

/** Where a node's control channel is: this replica or another one, and how clients reach that replica. */
export interface ChannelHome {
  local: boolean;
  replicaId: string;
  httpUrl: string;
  tlsUrl: string | null;
}

/** Writes this replica's heartbeat and public addresses (wall-clock time: it is compared across processes). */
export async function heartbeat(services: Services, replicaId: string): Promise<void> {
  const urls = replicaUrls(services);
  const row = { replica_id: replicaId, http_url: urls.http, tls_url: urls.tls ?? null, seen_at: Date.now() };
  await agentDb(services.db)
    .insertInto("server_replicas")
    .values(row)
    .onConflict((oc) => oc.column("replica_id").doUpdateSet({ http_url: row.http_url, tls_url: row.tls_url, seen_at: row.seen_at }))
    .execute();
}

/** The replicas whose heartbeat is recent (this one included). */
export async function liveReplicaIds(db: AnyDb): Promise<string[]> {
  const rows = await agentDb(db)
    .selectFrom("server_replicas")
    .select("replica_id")
    .where("seen_at", ">", Date.now() - REPLICA_TTL_MS)
    .execute();
  return rows.map((r) => r.replica_id);
}

/** The replica is leaving: its row and its nodes' homes go. */
export async function leave(services: Services, replicaId: string): Promise<void> {
  const db = agentDb(services.db);
  await db.deleteFrom("control_channel_homes").where("replica_id", "=", replicaId).execute();
  await db.deleteFrom("server_replicas").where("replica_id", "=", replicaId).execute();
}

export async function recordChannelHome(services: Services, replicaId: string, instanceId: string): Promise<void> {
  const row = { instance_id: instanceId, replica_id: replicaId, attached_at: Date.now() };
  await agentDb(services.db)
    .insertInto("control_channel_homes")
    .values(row)
    .onConflict((oc) => oc.column("instance_id").doUpdateSet({ replica_id: replicaId, attached_at: row.attached_at }))
    .execute();
}

/** The channel closed here; a newer channel on another replica keeps its own row. */
export async function forgetChannelHome(services: Services, replicaId: string, instanceId: string): Promise<void> {
  await agentDb(services.db).deleteFrom("control_channel_homes").where("instance_id", "=", instanceId).where("replica_id", "=", replicaId).execute();
}

/** The live replica holding the node's control channel, as storage knows it. */
export async function remoteChannelHome(services: Services, instanceId: string): Promise<ChannelHome | undefined> {
  const row = await agentDb(services.db)
    .selectFrom("control_channel_homes as h")
    .innerJoin("server_replicas as r", "r.replica_id", "h.replica_id")
    .select(["r.replica_id", "r.http_url", "r.tls_url"])
    .where("h.instance_id", "=", instanceId)
    .where("r.seen_at", ">", Date.now() - REPLICA_TTL_MS)
    .executeTakeFirst();
  return row ? { local: false, replicaId: row.replica_id, httpUrl: row.http_url, tlsUrl: row.tls_url } : undefined;
}

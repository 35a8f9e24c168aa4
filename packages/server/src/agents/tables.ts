import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../storage/database.js";

/** Lifecycle of a message to a node: queued (deliverable when visible_at ≤ now), then acknowledged, then done. */
export type MessageState = "queued" | "acknowledged" | "done" | "failed" | "withdrawn";

/** Delivery state of the agent channels, shared by every replica. */
export interface AgentTables {
  agent_messages: {
    /** aws.ssm.<commandId>.<instanceId> */
    message_id: string;
    account_id: string;
    region: string;
    instance_id: string;
    /** aws.ssm.sendCommand / aws.ssm.cancelCommand */
    topic: string;
    /** The payload JSON (SendCommandPayload / CancelCommandPayload). */
    payload: string;
    created_at: number;
    state: MessageState;
    /** A queued message may be handed out when visible_at ≤ now; a delivery hides it for the visibility timeout. */
    visible_at: number;
    /** Not delivered after this (the command's delivery timeout); null: no limit. */
    expires_at: number | null;
    deliveries: number;
    first_delivered_at: number | null;
    last_delivered_at: number | null;
    /** ssmmessages or ec2messages: the path of the last delivery. */
    last_channel: string | null;
    acknowledged_at: number | null;
    finished_at: number | null;
    /** Why the agent refused it (FailMessage type, agent_job_ack error). */
    failure: string | null;
  };
  /** Replies already taken, so a re-sent reply is acknowledged without being applied twice. */
  agent_replies: {
    message_id: string;
    reply_id: string;
    received_at: number;
  };
  /** The server processes sharing this database, and where clients reach each (for StreamUrl). */
  server_replicas: {
    replica_id: string;
    http_url: string;
    tls_url: string | null;
    /** Wall-clock ms of its last heartbeat: a replica not seen for a while is gone. */
    seen_at: number;
  };
  /** Which replica holds each node's MGS control channel. */
  control_channel_homes: {
    instance_id: string;
    replica_id: string;
    attached_at: number;
  };
  /** The CA that signs the TLS listener's certificates: one per installation, shared by replicas. */
  agent_tls_ca: {
    id: string;
    cert_pem: string;
    /** PKCS#8 private key, sealed under the master key. */
    key_sealed: Buffer;
    created_at: number;
  };
}

export const agentDb = (db: AnyDb): Kysely<AgentTables> => db as unknown as Kysely<AgentTables>;

export function agentMigrations(engine: "sqlite" | "postgres"): Record<string, Migration> {
  const binary = engine === "postgres" ? "bytea" : "blob";
  return {
    "agents-001-delivery": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("agent_messages")
          .addColumn("message_id", "varchar(200)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
          .addColumn("topic", "varchar(100)", (c) => c.notNull())
          .addColumn("payload", "text", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("state", "varchar(16)", (c) => c.notNull())
          .addColumn("visible_at", "bigint", (c) => c.notNull())
          .addColumn("expires_at", "bigint")
          .addColumn("deliveries", "integer", (c) => c.notNull().defaultTo(0))
          .addColumn("first_delivered_at", "bigint")
          .addColumn("last_delivered_at", "bigint")
          .addColumn("last_channel", "varchar(16)")
          .addColumn("acknowledged_at", "bigint")
          .addColumn("finished_at", "bigint")
          .addColumn("failure", "varchar(200)")
          .execute();
        await db.schema.createIndex("agent_messages_deliverable").on("agent_messages").columns(["instance_id", "state", "visible_at"]).execute();
        await db.schema.createIndex("agent_messages_by_state").on("agent_messages").columns(["state", "visible_at"]).execute();
        await db.schema
          .createTable("agent_replies")
          .addColumn("message_id", "varchar(200)", (c) => c.notNull())
          .addColumn("reply_id", "varchar(100)", (c) => c.notNull())
          .addColumn("received_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("agent_replies_pk", ["message_id", "reply_id"])
          .execute();
        await db.schema
          .createTable("agent_tls_ca")
          .addColumn("id", "varchar(32)", (c) => c.primaryKey())
          .addColumn("cert_pem", "text", (c) => c.notNull())
          .addColumn("key_sealed", binary, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
      },
    },
    "agents-002-replicas": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("server_replicas")
          .addColumn("replica_id", "varchar(64)", (c) => c.primaryKey())
          .addColumn("http_url", "varchar(512)", (c) => c.notNull())
          .addColumn("tls_url", "varchar(512)")
          .addColumn("seen_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("control_channel_homes")
          .addColumn("instance_id", "varchar(64)", (c) => c.primaryKey())
          .addColumn("replica_id", "varchar(64)", (c) => c.notNull())
          .addColumn("attached_at", "bigint", (c) => c.notNull())
          .execute();
      },
    },
  };
}

import type { Kysely, Migration } from "kysely";
import { type AnyDb, type Engine, tables } from "../../storage/database.js";

/**
 * Session Manager sessions and their recordings, keyed by account and region. Tokens are stored
 * only as sha256 hashes; recordings only as AES-256-GCM ciphertext under a per-session data key
 * that is itself sealed under the server's master key.
 */
export interface SessionTables {
  sessions: {
    session_id: string;
    account_id: string;
    region: string;
    target: string;
    /** ARN of the principal that called StartSession */
    owner: string;
    document_name: string;
    /** Standard_Stream, Port, InteractiveCommands or NonInteractiveCommands */
    session_type: string;
    /** Connecting, Connected, Disconnected, Terminating, Terminated, Failed */
    status: string;
    reason: string | null;
    details: string | null;
    start_date: number;
    end_date: number | null;
    /** Last stream data seen in either direction (idle timeout) */
    last_activity_at: number;
    idle_timeout_ms: number;
    /** Epoch ms at which the maximum session duration ends; null without a maximum */
    max_end_at: number | null;
    /** minutes, as DescribeSessions shows it */
    max_session_duration: string | null;
    /** sha256 of the client's current single-use token (StartSession / ResumeSession), null once used */
    client_token_hash: string | null;
    client_token_expires_at: number | null;
    /** sha256 of the agent's current single-use token (CreateDataChannel), null once used */
    agent_token_hash: string | null;
    agent_token_expires_at: number | null;
    /** JSON: the resolved session parameters */
    parameters: string;
    run_as: string | null;
    /** The x-amzn-RequestId of the StartSession call (links the session to the audit trail) */
    request_id: string;
    /** The per-session recording key, sealed under the master key */
    recording_key: Buffer;
    /** Whether client input is recorded (interactive sessions) */
    record_input: number;
    /**
     * Whether the session is recorded at all: shells and commands are, as AWS logs them; port
     * forwarding only with --record-port-sessions (AWS does not log Port sessions). Null: recorded.
     */
    recorded: number | null;
    /** Days the recording is kept after the session ends (0: forever) */
    retention_days: number;
    /** Epoch ms after which the recording is deleted (set when the session ends); null keeps it */
    retain_until: number | null;
    /** Whether the recording was deleted by retention */
    recording_purged: number;
    /** JSON {S3OutputUrl?, CloudWatchOutputUrl?} or null */
    output_url: string | null;
  };
  session_recording_chunks: {
    session_id: string;
    seq: number;
    /** Epoch ms of the first event in the chunk */
    at: number;
    /** AES-256-GCM ciphertext of a JSON array of events [msSinceStart, kind, data] */
    data: Buffer;
  };
}

export type SessionRow = SessionTables["sessions"];

export const sessionDb = (db: AnyDb): Kysely<SessionTables> => tables<SessionTables>(db);

export function sessionMigrations(engine: Engine): Record<string, Migration> {
  const blob = engine === "postgres" ? "bytea" : "blob";
  return {
    "sessions-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("sessions")
          .addColumn("session_id", "varchar(96)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("target", "varchar(400)", (c) => c.notNull())
          .addColumn("owner", "varchar(512)", (c) => c.notNull())
          .addColumn("document_name", "varchar(256)", (c) => c.notNull())
          .addColumn("session_type", "varchar(32)", (c) => c.notNull())
          .addColumn("status", "varchar(16)", (c) => c.notNull())
          .addColumn("reason", "varchar(256)")
          .addColumn("details", "varchar(1024)")
          .addColumn("start_date", "bigint", (c) => c.notNull())
          .addColumn("end_date", "bigint")
          .addColumn("last_activity_at", "bigint", (c) => c.notNull())
          .addColumn("idle_timeout_ms", "bigint", (c) => c.notNull())
          .addColumn("max_end_at", "bigint")
          .addColumn("max_session_duration", "varchar(4)")
          .addColumn("client_token_hash", "varchar(64)")
          .addColumn("client_token_expires_at", "bigint")
          .addColumn("agent_token_hash", "varchar(64)")
          .addColumn("agent_token_expires_at", "bigint")
          .addColumn("parameters", "text", (c) => c.notNull())
          .addColumn("run_as", "varchar(64)")
          .addColumn("request_id", "varchar(64)", (c) => c.notNull())
          .addColumn("recording_key", blob, (c) => c.notNull())
          .addColumn("record_input", "integer", (c) => c.notNull())
          .addColumn("retention_days", "integer", (c) => c.notNull())
          .addColumn("retain_until", "bigint")
          .addColumn("recording_purged", "integer", (c) => c.notNull())
          .addColumn("output_url", "text")
          .execute();
        await db.schema.createIndex("sessions_scope_start").on("sessions").columns(["account_id", "region", "start_date"]).execute();
        await db.schema.createIndex("sessions_status").on("sessions").columns(["status"]).execute();
        await db.schema
          .createTable("session_recording_chunks")
          .addColumn("session_id", "varchar(96)", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("at", "bigint", (c) => c.notNull())
          .addColumn("data", blob, (c) => c.notNull())
          .addPrimaryKeyConstraint("session_recording_chunks_pk", ["session_id", "seq"])
          .execute();
      },
    },
    "sessions-002-recorded": {
      async up(db: AnyDb) {
        await db.schema
          .alterTable("sessions")
          .addColumn("recorded", "integer", (c) => c.defaultTo(1))
          .execute();
      },
    },
  };
}

/** Statuses of sessions that are still running (DescribeSessions State=Active). */
export const ACTIVE_STATUSES = ["Connecting", "Connected", "Disconnected", "Terminating"] as const;
/** Statuses of sessions that ended (State=History). */
export const HISTORY_STATUSES = ["Terminated", "Failed"] as const;

import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import type { ServerSlot, Services } from "../runtime.js";
import type { AnyDb } from "../storage/database.js";

/**
 * Cross-replica wake-ups over PostgreSQL LISTEN/NOTIFY. A replica that queued work another replica
 * must act on (a message for a node whose channel is there, a deregistration, a session ended) says
 * so on one notification channel; each replica listens on a connection of its own and runs the
 * handlers registered for the topic. A wake-up only hastens what the replicas' polling of storage
 * finds anyway: a notification lost with a dropped connection costs time, not work (after a
 * reconnect the `resync` handlers run). SQLite has one process: nothing to wake.
 */
const CHANNEL = "openssm_wake";
/** PostgreSQL's limit for a payload is 8000 bytes; stay below it. */
const PAYLOAD_LIMIT = 7_000;
const RECONNECT_MIN_MS = 500;
/** How long announce's confirmed() waits for the other replicas' answers before it goes on anyway. */
const ACK_WAIT_MS = 500;
/** Lines of announce: the request to answer, and the answer (no handler is registered for them). */
const CONFIRM = "confirm";
const ACK = "ack";
const RECONNECT_MAX_MS = 10_000;

export type WakeTopic = "node" | "deregistered" | "session-ended" | "cache" | typeof ACK;
type Handler = (id: string) => void;

export class Wakeups {
  private handlers = new Map<string, Set<Handler>>();
  private resyncs = new Set<() => void>();
  private pending: string[] = [];
  private flushing = false;
  private client: pg.Client | undefined;
  private started = false;
  private stopped = false;
  private retryMs = RECONNECT_MIN_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  /** announcements waiting for the other replicas' answers, by nonce. */
  private confirmations = new Map<string, { waiting: Set<string>; done: () => void }>();
  /** Set by the owner: this replica's id (its own notifications are not handled twice). */
  sender = "";
  /**
   * Set by the owner: the ids of the replicas alive now (announce waits for their answers), read through
   * `db`: announce runs inside a write's transaction, which must not wait for a second pool connection
   * (with every connection held by such transactions, none would ever come).
   */
  peers: (db: AnyDb) => Promise<string[]> = async () => [];
  /** Notifications received (for tests and metrics). */
  received = 0;

  constructor(private services: Services) {}

  get enabled(): boolean {
    return this.services.engine === "postgres";
  }

  /** Whether this replica's LISTEN connection is up now (notifications from other replicas reach it). */
  get listening(): boolean {
    return this.client !== undefined;
  }

  /** Runs `handler(id)` when another replica publishes `topic`. Returns an unsubscribe function. */
  on(topic: WakeTopic, handler: Handler): () => void {
    const set = this.handlers.get(topic) ?? new Set();
    this.handlers.set(topic, set);
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Runs after the listening connection (re)connects: notifications may have been missed meanwhile. */
  onResync(handler: () => void): () => void {
    this.resyncs.add(handler);
    return () => this.resyncs.delete(handler);
  }

  /**
   * Tells the other replicas, once the current writes are visible (call it after the commit).
   * Wake-ups of one turn of the event loop go out together.
   */
  publish(topic: WakeTopic, id: string): void {
    if (!this.enabled || this.stopped) return;
    this.pending.push(`${topic}\t${id}`);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => void this.flush());
    }
  }

  /**
   * Tells the other replicas in the caller's transaction (`db`): PostgreSQL delivers the notification
   * when that transaction commits, and never if it rolls back, so a write and its wake-up cannot be
   * parted by a crash between them. After the commit, `confirmed()` resolves once each live replica
   * (`peers`) answered that it acted on it, or after ACK_WAIT_MS (a replica that does not answer is gone
   * or has lost its own listening connection, and then keeps nothing it would need told); after a
   * rollback, call `cancel()`. For invalidations that must reach every replica before the caller answers
   * its client.
   */
  async announce(db: AnyDb, topic: WakeTopic, id: string): Promise<Announcement> {
    if (!this.enabled || this.stopped) return NOTHING_TO_CONFIRM;
    const nonce = randomUUID();
    const waiting = new Set((await this.peers(db).catch(() => [] as string[])).filter((r) => r !== this.sender));
    let settle = () => {};
    const answered = new Promise<void>((resolve) => {
      settle = () => {
        this.confirmations.delete(nonce);
        resolve();
      };
    });
    // Registered before the commit: an answer cannot come sooner than the notification, but must not be missed.
    if (waiting.size && this.listening) this.confirmations.set(nonce, { waiting, done: () => settle() });
    else settle();
    await sql`select pg_notify(${CHANNEL}, ${`${this.sender}\n${topic}\t${id}\n${CONFIRM}\t${nonce}`})`.execute(db);
    return {
      confirmed: () => {
        if (!this.confirmations.has(nonce)) return answered;
        const timer = setTimeout(() => {
          this.services.log.warn({ topic, unanswered: [...waiting] }, "replicas did not confirm a wake-up in time");
          settle();
        }, ACK_WAIT_MS);
        return answered.finally(() => clearTimeout(timer));
      },
      cancel: () => settle(),
    };
  }

  private async flush(): Promise<void> {
    try {
      while (this.pending.length) {
        const batch: string[] = [];
        const chunks: string[] = [];
        let size = this.sender.length;
        for (const line of this.pending.splice(0)) {
          if (size + line.length + 1 > PAYLOAD_LIMIT && batch.length) {
            chunks.push([this.sender, ...batch.splice(0)].join("\n"));
            size = this.sender.length;
          }
          batch.push(line);
          size += line.length + 1;
        }
        if (batch.length) chunks.push([this.sender, ...batch].join("\n"));
        const calls = chunks.map((c) => sql`pg_notify(${CHANNEL}, ${c})`);
        await sql`select ${sql.join(calls)}`.execute(this.services.db);
      }
    } catch (err) {
      if (!this.stopped) this.services.log.warn({ err }, "could not notify the other replicas (they will find the work by polling)");
    } finally {
      this.flushing = false;
    }
  }

  start(): void {
    if (!this.enabled || this.started) return;
    this.started = true;
    void this.connect();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.services.config.databaseUrl });
    client.on("notification", (msg) => {
      if (msg.channel === CHANNEL && msg.payload) this.dispatch(msg.payload);
    });
    client.on("error", (err) => this.lost(client, err));
    client.on("end", () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      this.lost(client, err as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = RECONNECT_MIN_MS;
    for (const resync of this.resyncs) resync();
  }

  private lost(client: pg.Client, err?: Error): void {
    if (this.client && this.client !== client) return;
    this.client = undefined;
    client.removeAllListeners("end");
    client.on("error", () => {});
    void client.end().catch(() => {});
    if (this.stopped || this.retryTimer) return;
    this.services.log.warn({ err, retryInMs: this.retryMs }, "lost the LISTEN connection for replica wake-ups; reconnecting (polling covers the gap)");
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  private dispatch(payload: string): void {
    const lines = payload.split("\n");
    const from = lines[0];
    if (from === this.sender) return;
    this.received++;
    for (const line of lines.slice(1)) {
      const tab = line.indexOf("\t");
      if (tab < 0) continue;
      const topic = line.slice(0, tab);
      const id = line.slice(tab + 1);
      if (topic === CONFIRM) {
        // The handlers above ran: say so to the sender, who waits for it (announce).
        this.publish(ACK, `${from}\t${id}`);
        continue;
      }
      if (topic === ACK) {
        const [to, nonce] = id.split("\t");
        const c = to === this.sender ? this.confirmations.get(nonce) : undefined;
        if (c) {
          c.waiting.delete(from);
          if (c.waiting.size === 0) c.done();
        }
        continue;
      }
      const handlers = this.handlers.get(topic);
      if (!handlers) continue;
      for (const h of handlers) {
        try {
          h(id);
        } catch (err) {
          this.services.log.warn({ err, topic }, "a replica wake-up handler failed");
        }
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      client.removeAllListeners("end");
      await client.end().catch(() => {});
    }
  }
}

/** A wake-up sent in a transaction: what to do once it committed or rolled back. */
export interface Announcement {
  /** After the commit: resolves once the live replicas answered (or after ACK_WAIT_MS). */
  confirmed(): Promise<void>;
  /** After a rollback: nothing was sent, nobody will answer. */
  cancel(): void;
}

const NOTHING_TO_CONFIRM: Announcement = { confirmed: async () => {}, cancel: () => {} };

const WAKEUPS: ServerSlot<Wakeups> = { name: "cluster.wakeups", create: (services) => new Wakeups(services) };

/** This server's replica wake-ups (PostgreSQL LISTEN/NOTIFY; inert on SQLite). */
export function wakeups(services: Services): Wakeups {
  return services.own(WAKEUPS);
}

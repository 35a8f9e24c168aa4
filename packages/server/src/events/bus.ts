import { randomUUID } from "node:crypto";
import type { Kysely, Migration } from "kysely";
import type { Logger } from "pino";
import { compiledOnce } from "../storage/compiled-once.js";
import type { AnyDb } from "../storage/database.js";

/** An EventBridge-shaped event. */
export interface BusEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export type EventInput = Pick<BusEvent, "detail-type" | "account" | "region" | "resources" | "detail"> & { source?: string };

interface EventTables {
  event_log: { id: string; account_id: string; region: string; source: string; detail_type: string; time: number; body: string };
}

export const eventMigrations: Record<string, Migration> = {
  "events-001-log": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("event_log")
        .addColumn("id", "varchar(64)", (c) => c.primaryKey())
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("source", "varchar(128)", (c) => c.notNull())
        .addColumn("detail_type", "varchar(256)", (c) => c.notNull())
        .addColumn("time", "bigint", (c) => c.notNull())
        .addColumn("body", "text", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("event_log_time").on("event_log").columns(["account_id", "time"]).execute();
    },
  },
};

const insertEvent = compiledOnce<[string, string, string, string, string, number, string], unknown>(
  (db, id, account_id, region, source, detail_type, time, body) =>
    (db as unknown as Kysely<EventTables>).insertInto("event_log").values({ id, account_id, region, source, detail_type, time, body } as never),
);

/** What `list` selects. Oldest first unless `newestFirst`; `after` is the [time, id] of the previous page's last event. */
export interface EventFilter {
  accountId?: string;
  detailType?: string;
  source?: string;
  since?: number;
  until?: number;
  after?: [number, string];
  newestFirst?: boolean;
  limit?: number;
}

export type Subscriber = (event: BusEvent) => void | Promise<void>;

export interface EventBus {
  /** Records the event in the event log, then hands it to subscribers and webhooks. */
  publish(input: EventInput, at: number): Promise<BusEvent>;
  /** Records the event in the event log through `db` (a transaction); hand it to `deliver` once that committed. */
  record(db: AnyDb, input: EventInput, at: number): Promise<BusEvent>;
  /** Hands a recorded event to subscribers and webhooks. */
  deliver(event: BusEvent): Promise<void>;
  subscribe(fn: Subscriber): () => void;
  list(filter: EventFilter): Promise<BusEvent[]>;
  /** As `list`, with each event's recorded time in epoch milliseconds (the paging key with its id). */
  listTimed(filter: EventFilter): Promise<{ event: BusEvent; at: number }[]>;
  /** Resolves when every webhook delivery started so far has finished. */
  drain(): Promise<void>;
}

export function createEventBus(db: AnyDb, log: Logger, webhookUrls: string[]): EventBus {
  const d = db as unknown as Kysely<EventTables>;
  const subscribers = new Set<Subscriber>();
  const pending = new Set<Promise<void>>();

  async function deliver(url: string, event: BusEvent): Promise<void> {
    const body = JSON.stringify(event);
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body, signal: AbortSignal.timeout(10_000) });
        if (res.ok) return;
        log.warn({ url, status: res.status, eventId: event.id }, "webhook refused event");
      } catch (e) {
        log.warn({ url, err: (e as Error).message, eventId: event.id }, "webhook delivery failed");
      }
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
    log.error({ url, eventId: event.id }, "webhook delivery gave up after 5 attempts");
  }

  async function record(into: AnyDb, input: EventInput, at: number): Promise<BusEvent> {
    const event: BusEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": input["detail-type"],
      source: input.source ?? "aws.ssm",
      account: input.account,
      time: new Date(at).toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: input.region,
      resources: input.resources,
      detail: input.detail,
    };
    await insertEvent(into, event.id, event.account, event.region, event.source, event["detail-type"], at, JSON.stringify(event));
    return event;
  }

  async function deliverEvent(event: BusEvent): Promise<void> {
    for (const fn of subscribers) {
      try {
        await fn(event);
      } catch (e) {
        log.error({ err: e, eventId: event.id }, "event subscriber failed");
      }
    }
    for (const url of webhookUrls) {
      const p = deliver(url, event).finally(() => pending.delete(p));
      pending.add(p);
    }
  }

  async function listTimed(filter: EventFilter): Promise<{ event: BusEvent; at: number }[]> {
    let q = d.selectFrom("event_log").select(["body", "time"]);
    if (filter.accountId) q = q.where("account_id", "=", filter.accountId);
    if (filter.detailType) q = q.where("detail_type", "=", filter.detailType);
    if (filter.since !== undefined) q = q.where("time", ">=", filter.since);
    if (filter.until !== undefined) q = q.where("time", "<=", filter.until);
    if (filter.source) q = q.where("source", "=", filter.source);
    const dir = filter.newestFirst ? "desc" : "asc";
    const after = filter.after;
    if (after) {
      const cmp = filter.newestFirst ? "<" : ">";
      q = q.where((eb) => eb.or([eb("time", cmp, after[0]), eb.and([eb("time", "=", after[0]), eb("id", cmp, after[1])])]));
    }
    // Paged listings break ties by id; the plain oldest-first listing keeps its storage order.
    q = q.orderBy("time", dir);
    if (filter.newestFirst || after) q = q.orderBy("id", dir);
    const rows = await q.limit(filter.limit ?? 1000).execute();
    return rows.map((r) => ({ event: JSON.parse(r.body) as BusEvent, at: Number(r.time) }));
  }

  return {
    async publish(input, at) {
      const event = await record(db, input, at);
      await deliverEvent(event);
      return event;
    },
    record,
    deliver: deliverEvent,
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    async list(filter) {
      return (await listTimed(filter)).map((r) => r.event);
    },
    listTimed,
    async drain() {
      while (pending.size) await Promise.allSettled([...pending]);
    },
  };
}

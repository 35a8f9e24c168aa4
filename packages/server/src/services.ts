import type { Logger } from "pino";
import type { ServerConfig } from "./config.js";
import { type AuditLog, createAuditLog } from "./events/audit.js";
import { type BusEvent, createEventBus, type EventBus, type EventInput } from "./events/bus.js";
import type { ServerSlot, Services, Tx } from "./runtime.js";
import { type Clock, clockFor } from "./scheduler/clock.js";
import { createScheduler } from "./scheduler/scheduler.js";
import type { AnyDb, Storage } from "./storage/database.js";

/** Wires the Services every capability shares, for the main process and for API workers alike. */
export function createServices(
  config: ServerConfig,
  storage: Storage,
  masterKey: Buffer,
  log: Logger,
  defaultAccountId: string,
  opts: { audit?: AuditLog; clock?: Clock } = {},
): Services {
  const clock = opts.clock ?? clockFor(config);
  const owned = new Map<ServerSlot<unknown>, unknown>();
  const events = createEventBus(storage.db, log, config.webhookUrls);
  const services: Services = {
    config,
    engine: storage.engine,
    db: storage.db,
    masterKey,
    durable: storage.durable,
    commitMark: storage.commitMark,
    clock,
    log,
    events,
    transaction: (work) => runTransaction(storage.db, events, clock, work),
    audit: opts.audit ?? createAuditLog(storage.db, log),
    scheduler: createScheduler(storage.db, clock, log, config.schedulerIntervalMs),
    defaultAccountId,
    taggable: new Map(),
    listening: {},
    own<T>(slot: ServerSlot<T>): T {
      if (!owned.has(slot)) owned.set(slot, slot.create(services));
      return owned.get(slot) as T;
    },
    api: { invoke: () => Promise.reject(new Error("this process runs no in-process API calls (main.ts wires them in the main process)")) },
  };
  return services;
}

/**
 * One transaction for a unit of work: its rows and its events commit together; subscribers and
 * webhooks see the events only after the commit (a rolled-back change publishes nothing).
 */
async function runTransaction<T>(db: AnyDb, events: EventBus, clock: Clock, work: (tx: Tx) => Promise<T>): Promise<T> {
  const recorded: BusEvent[] = [];
  const result = await db.transaction().execute(async (trx) => {
    const queued: EventInput[] = [];
    const value = await work({ db: trx, publish: (event) => void queued.push(event) });
    const at = clock.now();
    for (const event of queued) recorded.push(await events.record(trx, event, at));
    return value;
  });
  for (const event of recorded) await events.deliver(event);
  return result;
}

import type { Logger } from "pino";
import type { ServerConfig } from "./config.js";
import { type AuditLog, createAuditLog } from "./events/audit.js";
import { createEventBus } from "./events/bus.js";
import type { Services } from "./runtime.js";
import { type Clock, clockFor } from "./scheduler/clock.js";
import { createScheduler } from "./scheduler/scheduler.js";
import type { Storage } from "./storage/database.js";

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
  return {
    config,
    engine: storage.engine,
    db: storage.db,
    masterKey,
    durable: storage.durable,
    commitMark: storage.commitMark,
    clock,
    log,
    events: createEventBus(storage.db, log, config.webhookUrls),
    audit: opts.audit ?? createAuditLog(storage.db, log),
    scheduler: createScheduler(storage.db, clock, log, config.schedulerIntervalMs),
    defaultAccountId,
    taggable: new Map(),
    listening: {},
  };
}

import type { Logger } from "pino";
import type { AnyDb } from "../storage/database.js";
import type { Clock } from "./clock.js";
import type { Migration } from "kysely";
import { randomUUID } from "node:crypto";

/** A piece of periodic work: runs on exactly one replica at a time (a lease in storage). */
export interface ScheduledJob {
  name: string;
  /**
   * Runs at every tick of every replica, not only the lease holder's: for work that leases each item
   * itself (automation executions). A replica then takes over at once when another dies, instead of
   * waiting for the dead one's scheduler lease to expire.
   */
  everyReplica?: boolean;
  run(now: number): Promise<void>;
}

export interface Scheduler {
  register(job: ScheduledJob): void;
  /** Runs every due job now (tests call this after moving the clock). */
  tick(): Promise<void>;
  /** Wall time (ms) when the last tick finished, or undefined before the first (metrics' scheduler lag). */
  lastTickAt(): number | undefined;
  start(): void;
  stop(): Promise<void>;
}

interface LeaseTable {
  scheduler_leases: { name: string; holder: string; expires_at: number };
}

export const schedulerMigrations: Record<string, Migration> = {
  "scheduler-001-leases": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("scheduler_leases")
        .addColumn("name", "varchar(200)", (c) => c.primaryKey())
        .addColumn("holder", "varchar(64)", (c) => c.notNull())
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
    },
  },
};

export function createScheduler(db: AnyDb, clock: Clock, log: Logger, intervalMs: number): Scheduler {
  const jobs: ScheduledJob[] = [];
  // The process id first: an operator (or a test) can tell which replica holds the lease.
  const holder = `${process.pid}:${randomUUID()}`;
  const leaseMs = Math.max(intervalMs * 10, 10_000);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let running: Promise<void> | undefined;
  let lastTick: number | undefined;
  const d = db as unknown as import("kysely").Kysely<LeaseTable>;

  /** Takes or renews the lease; true when this replica holds it. Uses wall time: leases are between processes. */
  async function holdLease(): Promise<boolean> {
    const now = Date.now();
    const name = "scheduler";
    await d
      .insertInto("scheduler_leases")
      .values({ name, holder, expires_at: now + leaseMs })
      .onConflict((oc) => oc.doNothing())
      .execute();
    const r = await d
      .updateTable("scheduler_leases")
      .set({ holder, expires_at: now + leaseMs })
      .where("name", "=", name)
      .where((eb) => eb.or([eb("holder", "=", holder), eb("expires_at", "<", now)]))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async function runOnce(): Promise<void> {
    const holder = await holdLease();
    const now = clock.now();
    for (const job of jobs) {
      if (!holder && !job.everyReplica) continue;
      try {
        await job.run(now);
      } catch (e) {
        log.error({ err: e, job: job.name }, "scheduled job failed");
      }
    }
  }

  const tick = async () => {
    while (running) await running;
    running = runOnce().finally(() => {
      running = undefined;
      lastTick = Date.now();
    });
    await running;
  };

  return {
    register: (job) => jobs.push(job),
    tick,
    lastTickAt: () => lastTick,
    start() {
      // Ticks fall just after whole multiples of the interval (whole seconds by default), where cron
      // and rate starts fall, so a start waits for its work, not for the tick's phase (2 ms past: a
      // timer may fire a little early).
      stopped = false;
      const loop = () => {
        // A tick that was running when stop() came must not schedule another.
        if (stopped) return;
        timer = setTimeout(
          () => {
            tick()
              .catch((e) => log.error({ err: e }, "scheduler tick failed"))
              .finally(loop);
          },
          intervalMs - (Date.now() % intervalMs) + 2,
        );
        timer.unref();
      };
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (running) await running.catch(() => undefined);
    },
  };
}

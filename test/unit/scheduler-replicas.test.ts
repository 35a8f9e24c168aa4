import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pino from "pino";
import { offsetClock } from "../../packages/server/src/scheduler/clock.js";
import { createScheduler, schedulerMigrations } from "../../packages/server/src/scheduler/scheduler.js";
import { openStorage } from "../../packages/server/src/storage/database.js";
import { migrate } from "../../packages/server/src/storage/migrations.js";

/** Two schedulers on one database, as two replicas: one holds the lease; jobs marked everyReplica run on both. */
describe("scheduler across replicas", () => {
  it("runs ordinary jobs on the lease holder only, everyReplica jobs on every replica", async () => {
    const storage = openStorage("sqlite::memory:");
    try {
      await migrate(storage.db, schedulerMigrations);
      const log = pino({ level: "silent" });
      const ran: string[] = [];
      const replicas = ["a", "b"].map((name) => {
        const s = createScheduler(storage.db, offsetClock(), log, 200);
        s.register({ name: "once", run: async () => void ran.push(`${name}:once`) });
        s.register({ name: "each", everyReplica: true, run: async () => void ran.push(`${name}:each`) });
        return s;
      });
      for (const s of replicas) await s.tick();
      for (const s of replicas) await s.tick();
      assert.deepEqual(ran, ["a:once", "a:each", "b:each", "a:once", "a:each", "b:each"]);
    } finally {
      await storage.close();
    }
  });
});

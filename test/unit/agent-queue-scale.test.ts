import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { claimMessage, enqueueMessage, getMessage, nodesWithDeliverable, type ServedNodes } from "../../packages/server/src/agents/queue.js";
import { agentMigrations } from "../../packages/server/src/agents/tables.js";
import { openStorage } from "../../packages/server/src/storage/database.js";
import { migrate } from "../../packages/server/src/storage/migrations.js";
import { createDatabase } from "../harness/postgres.js";

/**
 * Which of a replica's nodes have a deliverable message: the same answer for a few nodes (asked by
 * node) and for thousands (read by state, kept to this replica's nodes), on both engines.
 */
const node = (i: number) => `mi-${i.toString(16).padStart(17, "0")}`;

/** A replica serving these nodes. */
const serving = (ids: string[]): ServedNodes => {
  const set = new Set(ids);
  return { servedCount: set.size, servedIds: () => set, serves: (id) => set.has(id) };
};

for (const engine of ["sqlite", "postgres"] as const) {
  describe(`nodes with a deliverable message (${engine})`, () => {
    it("answers alike for a short list and for 2,000 nodes: queued and visible, not hidden, expired or another replica's", async () => {
      const database = engine === "postgres" ? await createDatabase() : undefined;
      const storage = openStorage(database ? database.url : "sqlite::memory:");
      try {
        await migrate(storage.db, agentMigrations(engine));
        const now = 1_800_000_000_000;
        const put = (i: number, id: string, expiresAt?: number) =>
          enqueueMessage(
            storage.db,
            { messageId: id, accountId: "123456789012", region: "us-east-1", instanceId: node(i), topic: "t", payload: "{}", expiresAt },
            now,
          );
        await put(3, "m3");
        await put(1500, "m1500");
        await put(7, "m7-expired", now - 1);
        await put(9, "m9-hidden");
        const hidden = await getMessage(storage.db, "m9-hidden");
        assert.ok(hidden && (await claimMessage(storage.db, hidden, now, 30_000, "ssmmessages")));
        await put(5000, "m5000-elsewhere"); // a node this replica does not serve

        const mine = Array.from({ length: 2000 }, (_, i) => node(i));
        assert.deepEqual((await nodesWithDeliverable(storage.db, serving(mine), now)).sort(), [node(1500), node(3)].sort());
        assert.deepEqual((await nodesWithDeliverable(storage.db, serving(mine.slice(0, 10)), now)).sort(), [node(3)]);
        assert.deepEqual(await nodesWithDeliverable(storage.db, serving(mine.slice(2, 4)), now + 1), [node(3)]);
        // Once the visibility timeout passed the claimed message is deliverable again, by either path.
        assert.ok((await nodesWithDeliverable(storage.db, serving(mine), now + 30_000)).includes(node(9)));
        assert.ok((await nodesWithDeliverable(storage.db, serving(mine.slice(0, 10)), now + 30_000)).includes(node(9)));
        assert.deepEqual(await nodesWithDeliverable(storage.db, serving(Array.from({ length: 1000 }, (_, i) => node(10_000 + i))), now), []);
      } finally {
        await storage.close();
        await database?.drop();
      }
    });
  });
}

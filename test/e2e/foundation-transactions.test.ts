// The unit of work every capability uses (services.transaction / ctx.transaction): rows and events
// commit together, and subscribers see an event only after its commit. Runs a server in this
// process on the suite's engine (SQLite or PostgreSQL), so a failure can be injected mid-work.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { BusEvent } from "../../packages/server/src/events/bus.js";
import { type RunningServer, startServer } from "../../packages/server/src/index.js";
import { createDatabase } from "../harness/postgres.js";
import { testEngine } from "../harness/server.js";

describe(`one unit of work for rows and events (${testEngine})`, () => {
  let server: RunningServer;
  let dir: string;
  let dropDb: (() => Promise<void>) | undefined;
  const delivered: BusEvent[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "openssm-tx-"));
    let databaseUrl: string | undefined;
    if (testEngine === "postgres") {
      const db = await createDatabase();
      databaseUrl = db.url;
      dropDb = db.drop;
    }
    server = await startServer({ dataDir: dir, databaseUrl, host: "127.0.0.1", port: 0, tlsPort: "off", logLevel: "silent" });
    server.services.events.subscribe((e) => void delivered.push(e));
  });
  after(async () => {
    await server?.close();
    await dropDb?.();
    rmSync(dir, { recursive: true, force: true });
  });

  const event = (id: string) => ({ "detail-type": "Transaction Test", account: "123456789012", region: "us-east-1", resources: [], detail: { id } });
  const logged = async (id: string) => (await server.services.events.list({ detailType: "Transaction Test" })).filter((e) => e.detail.id === id).length;
  const tagRows = async (id: string) => (await server.services.db.selectFrom("resource_tags").selectAll().where("resource_id", "=", id).execute()).length;

  it("rolls back every row and every event when the work fails", async () => {
    await assert.rejects(
      server.services.transaction(async (tx) => {
        await tx.db
          .insertInto("resource_tags")
          .values({ account_id: "123456789012", region: "us-east-1", resource_type: "Test", resource_id: "rolled-back", tag_key: "k", tag_value: "v" })
          .execute();
        tx.publish(event("rolled-back"));
        throw new Error("fails after its first write");
      }),
      /fails after its first write/,
    );
    assert.equal(await tagRows("rolled-back"), 0);
    assert.equal(await logged("rolled-back"), 0);
    assert.ok(!delivered.some((e) => e.detail.id === "rolled-back"));
  });

  it("commits rows and events together, and delivers the events only after the commit", async () => {
    let deliveredInside = -1;
    await server.services.transaction(async (tx) => {
      await tx.db
        .insertInto("resource_tags")
        .values({ account_id: "123456789012", region: "us-east-1", resource_type: "Test", resource_id: "committed", tag_key: "k", tag_value: "v" })
        .execute();
      tx.publish(event("committed"));
      deliveredInside = delivered.filter((e) => e.detail.id === "committed").length;
    });
    assert.equal(deliveredInside, 0);
    assert.equal(await tagRows("committed"), 1);
    assert.equal(await logged("committed"), 1);
    assert.equal(delivered.filter((e) => e.detail.id === "committed").length, 1);
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { sql } from "kysely";
import { openStorage, type Storage } from "../../packages/server/src/storage/database.js";

/**
 * The server's SQLite storage groups writes made outside explicit transactions into one transaction
 * every few milliseconds. What a caller sees must not change: each write succeeds or fails alone,
 * explicit transactions stay atomic, and `durable()` answers only once the writes are committed
 * (another connection, as `openssm backup` or an API worker would open, sees them).
 */
describe("SQLite write batches", () => {
  let dir: string;
  let storage: Storage;
  let other: Database.Database;
  const count = () => (other.prepare("select count(*) as n from t").get() as { n: number }).n;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "openssm-batches-"));
    const path = join(dir, "db.sqlite");
    storage = openStorage(`sqlite:${path}`, { batchWrites: true });
    await sql`create table t (id integer primary key, v text not null unique)`.execute(storage.db);
    await storage.durable();
    other = new Database(path, { readonly: true });
  });

  after(async () => {
    other.close();
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("commits a turn's writes together, and durable() waits for that commit", async () => {
    const before = count();
    const mark = storage.commitMark();
    await sql`insert into t (v) values (${"a0"})`.execute(storage.db);
    assert.notEqual(storage.commitMark(), mark, "the mark moves with every write");
    // No turn of the event loop since the write: it is in the open batch, which another connection does not see yet.
    assert.equal(count(), before);
    // Writes go on joining batches (a batch also commits whenever the driver lets the event loop turn).
    for (let i = 1; i < 50; i++) await sql`insert into t (v) values (${`a${i}`})`.execute(storage.db);
    await storage.durable(mark);
    assert.equal(count(), before + 50);
  });

  it("commits a few milliseconds later without anyone asking", async () => {
    const before = count();
    await sql`insert into t (v) values (${"turn"})`.execute(storage.db);
    const deadline = Date.now() + 2_000;
    while (count() === before && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(count(), before + 1);
  });

  it("a failing write fails alone: the batch's other writes stay", async () => {
    const before = count();
    await sql`insert into t (v) values (${"b1"})`.execute(storage.db);
    await assert.rejects(sql`insert into t (v) values (${"b1"})`.execute(storage.db), /UNIQUE/);
    await sql`insert into t (v) values (${"b2"})`.execute(storage.db);
    await storage.durable();
    assert.equal(count(), before + 2);
  });

  it("an explicit transaction after batched writes commits them first and stays atomic itself", async () => {
    const before = count();
    await sql`insert into t (v) values (${"c1"})`.execute(storage.db);
    await assert.rejects(
      storage.db.transaction().execute(async (trx) => {
        await sql`insert into t (v) values (${"c2"})`.execute(trx);
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    await storage.db.transaction().execute(async (trx) => {
      await sql`insert into t (v) values (${"c3"})`.execute(trx);
    });
    await storage.durable();
    const rows = other.prepare("select v from t where v like 'c%' order by v").all() as { v: string }[];
    assert.deepEqual(
      rows.map((r) => r.v),
      ["c1", "c3"],
    );
    assert.equal(count(), before + 2);
  });

  it("reads on the writing connection see its own batched writes at once", async () => {
    await sql`insert into t (v) values (${"mine"})`.execute(storage.db);
    const got = await sql<{ n: number }>`select count(*) as n from t where v = ${"mine"}`.execute(storage.db);
    assert.equal(got.rows[0].n, 1);
    await storage.durable();
  });

  it("leaves checkpoints to a thread of its own: the writing connection never checkpoints, yet the log is copied back", async () => {
    const auto = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(storage.db);
    assert.equal(auto.rows[0].wal_autocheckpoint, 0);
    const file = join(dir, "db.sqlite");
    const sizeBefore = statSync(file).size;
    // Some 1,500 pages of new rows: only a checkpoint puts them into the database file itself.
    const text = "z".repeat(16_000);
    for (let i = 0; i < 400; i++) await sql`insert into t (v) values (${`${i}-${text}`})`.execute(storage.db);
    await storage.durable();
    const deadline = Date.now() + 10_000;
    while (statSync(file).size < sizeBefore + 400 * 16_000) {
      assert.ok(Date.now() < deadline, `no checkpoint within 10 s: database file ${statSync(file).size} bytes`);
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});

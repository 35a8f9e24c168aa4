import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sql } from "kysely";
import { compiledOnce } from "../../packages/server/src/storage/compiled-once.js";
import { openStorage } from "../../packages/server/src/storage/database.js";
import { createDatabase } from "../harness/postgres.js";

/** Statements built and compiled once, run with new arguments: the same answers as building them each time, on both engines. */
const insert = compiledOnce<[string, number], never>((db, name, n) => db.insertInto("t").values({ name, n, kind: "fixed" }));
const byName = compiledOnce<[string], { name: string; n: number; kind: string }>((db, name) => db.selectFrom("t").selectAll().where("name", "=", name));
const bump = compiledOnce<[number, string], never>((db, by, name) =>
  db
    .updateTable("t")
    .set((eb) => ({ n: eb("n", "+", by) }))
    .where("name", "=", name),
);

for (const engine of ["sqlite", "postgres"] as const) {
  describe(`statements compiled once (${engine})`, () => {
    it("runs with each call's arguments, keeps the builder's constants, and works inside transactions", async () => {
      const database = engine === "postgres" ? await createDatabase() : undefined;
      const storage = openStorage(database ? database.url : "sqlite::memory:");
      try {
        await sql`create table t (name varchar(20) primary key, n integer not null, kind varchar(10) not null)`.execute(storage.db);
        await insert(storage.db, "a", 1);
        await insert(storage.db, "b", 2);
        await storage.db.transaction().execute(async (trx) => {
          await insert(trx, "c", 3);
          assert.equal(Number((await bump(trx, 10, "c")).numAffectedRows), 1);
        });
        assert.equal(Number((await bump(storage.db, 5, "nobody")).numAffectedRows), 0);
        assert.deepEqual((await byName(storage.db, "b")).rows, [{ name: "b", n: 2, kind: "fixed" }]);
        assert.deepEqual((await byName(storage.db, "c")).rows, [{ name: "c", n: 13, kind: "fixed" }]);
        assert.deepEqual((await byName(storage.db, "zzz")).rows, []);
        await assert.rejects(
          storage.db.transaction().execute(async (trx) => {
            await insert(trx, "d", 4);
            throw new Error("undo");
          }),
          /undo/,
        );
        assert.deepEqual((await byName(storage.db, "d")).rows, []);
      } finally {
        await storage.close();
        await database?.drop();
      }
    });
  });
}

describe("statements compiled once: misuse", () => {
  it("refuses a builder that does not pass an argument into the statement", async () => {
    const storage = openStorage("sqlite::memory:");
    try {
      const lost = compiledOnce<[string], never>((db, _unused) => db.selectFrom("t").selectAll());
      await sql`create table t (name varchar(20))`.execute(storage.db);
      await assert.rejects(lost(storage.db, "x"), /argument 0 does not reach the statement/);
    } finally {
      await storage.close();
    }
  });
});

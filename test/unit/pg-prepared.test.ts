import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sql } from "kysely";
import pg from "pg";
import { openStorage, type Storage } from "../../packages/server/src/storage/database.js";
import { createDatabase } from "../harness/postgres.js";

/**
 * The PostgreSQL engine sends Kysely's queries as named prepared statements (storage/pg-prepared.ts):
 * the same text is parsed once per connection, results are the same, a table altered under a
 * statement is read again under a new name, and transactions keep their meaning.
 */
describe("prepared statements on PostgreSQL", () => {
  let database: { url: string; drop(): Promise<void> };
  let storage: Storage;
  let admin: pg.Client;

  before(async () => {
    database = await createDatabase();
    storage = openStorage(database.url);
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    await storage.db.schema
      .createTable("items")
      .addColumn("id", "integer", (c) => c.primaryKey())
      .addColumn("name", "text")
      .execute();
    await storage.db
      .insertInto("items")
      .values([
        { id: 1, name: "one" },
        { id: 2, name: "two" },
      ])
      .execute();
  });

  after(async () => {
    await storage?.close();
    await admin?.end();
    await database?.drop();
  });

  /** Prepared statements of this database's sessions whose text reads `items` (the server's own view). */
  const preparedReadingItems = async () =>
    (await storage.db.selectFrom(sql`pg_prepared_statements`.as("s")).select(sql<string>`s.statement`.as("statement")).execute()).filter((r) =>
      r.statement.includes('from "items"'),
    );

  it("answers repeated queries the same, from one prepared statement per connection", async () => {
    for (let i = 0; i < 5; i++) {
      const row = await storage.db.selectFrom("items").selectAll().where("id", "=", 2).executeTakeFirst();
      assert.deepEqual(row, { id: 2, name: "two" });
    }
    // The pool may hold this statement on more than one connection; the catalog query is on one of them.
    const mine = await storage.db.connection().execute(async (db) => {
      await db.selectFrom("items").selectAll().where("id", "=", 1).executeTakeFirst();
      return (await db.selectFrom(sql`pg_prepared_statements`.as("s")).select(sql<string>`s.statement`.as("statement")).execute()).filter((r) =>
        r.statement.includes('from "items"'),
      );
    });
    assert.equal(mine.length, 1, `one named statement for the query on this connection: ${JSON.stringify(mine)}`);
    assert.ok((await preparedReadingItems()).length <= 1);
  });

  it("reads a table altered after its statement was prepared (a rolling upgrade's migration)", async () => {
    await storage.db.connection().execute(async (db) => {
      assert.deepEqual(await db.selectFrom("items").selectAll().where("id", "=", 1).executeTakeFirst(), { id: 1, name: "one" });
      await admin.query("ALTER TABLE items ADD COLUMN size integer DEFAULT 7");
      assert.deepEqual(await db.selectFrom("items").selectAll().where("id", "=", 1).executeTakeFirst(), { id: 1, name: "one", size: 7 });
      assert.deepEqual(await db.selectFrom("items").selectAll().where("id", "=", 1).executeTakeFirst(), { id: 1, name: "one", size: 7 });
    });
  });

  it("keeps transactions: a rolled-back write is gone, a committed one stays", async () => {
    await assert.rejects(
      storage.db.transaction().execute(async (trx) => {
        await trx.insertInto("items").values({ id: 3, name: "three" }).execute();
        assert.equal((await trx.selectFrom("items").select("id").where("id", "=", 3).execute()).length, 1);
        throw new Error("roll back");
      }),
      /roll back/,
    );
    assert.equal((await storage.db.selectFrom("items").select("id").where("id", "=", 3).execute()).length, 0);
    await storage.db.transaction().execute(async (trx) => {
      await trx.insertInto("items").values({ id: 4, name: "four" }).execute();
    });
    assert.equal((await storage.db.selectFrom("items").select("id").where("id", "=", 4).execute()).length, 1);
  });

  it("reports a query's own error as PostgreSQL gave it", async () => {
    await assert.rejects(storage.db.insertInto("items").values({ id: 1, name: "again" }).execute(), (e: { code?: string }) => e.code === "23505");
    await assert.rejects(storage.db.selectFrom("items").select(sql`1 / (id - id)`.as("x")).execute(), (e: { code?: string }) => e.code === "22012");
  });
});

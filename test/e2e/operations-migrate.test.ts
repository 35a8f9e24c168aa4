import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { openStorage } from "@openssm/server";
import { createDatabase, startServer, type TestServer, testEngine } from "../harness/index.js";
import { openssm } from "./security-helpers.js";

/** Every table's row count (the migration bookkeeping aside), read straight from storage. */
async function counts(databaseUrl: string): Promise<Record<string, number>> {
  const storage = openStorage(databaseUrl);
  try {
    const out: Record<string, number> = {};
    for (const t of await storage.db.introspection.getTables()) {
      if (t.name.startsWith("kysely_migration")) continue;
      const r = await storage.db
        .selectFrom(t.name)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      out[t.name] = Number(r.n);
    }
    return out;
  } finally {
    await storage.close();
  }
}

async function secureValue(server: TestServer, name: string): Promise<string | undefined> {
  const r = await server.ssm().send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return r.Parameter?.Value;
}

// Moving a SQLite install to PostgreSQL needs both engines; it runs in the PostgreSQL phase.
describe("openssm migrate: a SQLite install into PostgreSQL", { skip: testEngine !== "postgres" }, () => {
  let source: TestServer;
  let target: { url: string; drop(): Promise<void> };
  let onTarget: TestServer | undefined;
  before(async () => {
    source = await startServer({ engine: "sqlite" });
    target = await createDatabase();
    const ssm = source.ssm();
    await ssm.send(new PutParameterCommand({ Name: "/move/secret", Value: "sealed-value-42", Type: "SecureString" }));
    await ssm.send(new PutParameterCommand({ Name: "/move/secret", Value: "sealed-value-43", Type: "SecureString", Overwrite: true }));
    for (let i = 0; i < 30; i++) await ssm.send(new PutParameterCommand({ Name: `/move/p${i}`, Value: `v${i}`, Type: "String" }));
  });
  after(async () => {
    await onTarget?.destroy();
    await source?.destroy();
    await target?.drop();
  });

  it("refuses while the SQLite server runs, copies every table once it is stopped, and a server on PostgreSQL reads the secrets", async () => {
    const running = await openssm(source, ["migrate", "--to", target.url]);
    assert.equal(running.code, 1);
    assert.match(running.stderr, /open in another process \(a running openssm server\?\): stop the server first/);

    await source.stop();
    const before = await counts(source.databaseUrl);
    const moved = await openssm(source, ["migrate", "--to", target.url]);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /copied \d+ rows in \d+ tables in \d+ ms; every table's count matches; the master key opens the copied secrets/);
    assert.match(moved.stderr, /migrate: parameters \d+\/\d+/);
    assert.match(moved.stderr, /migrate: iam_access_keys \d+\/\d+/);

    // Every table, found generically on both sides, holds as many rows as before.
    const after = await counts(target.url);
    for (const [table, n] of Object.entries(before)) assert.equal(after[table], n, `table ${table}`);
    assert.ok(before.parameters >= 31 && before.iam_access_keys >= 1 && before.audit_log > 0, JSON.stringify(before));

    // Not again onto a database that holds data, unless --force.
    const again = await openssm(source, ["migrate", "--to", target.url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds data \(tables .*\): give an empty database, or --force/);
    const forced = await openssm(source, ["migrate", "--to", target.url, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(await counts(target.url), after);

    // A server on the target, with the same master key, opens the secrets and takes writes
    // (audit_log's sequence continues after the copied rows).
    onTarget = await startServer({ engine: "postgres", databaseUrl: target.url, masterKey: source.masterKey, admin: source.admin });
    assert.equal(await secureValue(onTarget, "/move/secret"), "sealed-value-43");
    assert.equal(await secureValue(onTarget, "/move/p29"), "v29");
    await onTarget.ssm().send(new PutParameterCommand({ Name: "/move/secret", Value: "after-move", Type: "SecureString", Overwrite: true }));
    const v = await onTarget.ssm().send(new GetParameterCommand({ Name: "/move/secret", WithDecryption: true }));
    assert.equal(v.Parameter?.Value, "after-move");
    assert.equal(v.Parameter?.Version, 3);
  });
});

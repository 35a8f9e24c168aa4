import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DeleteParameterCommand, GetParameterCommand, LabelParameterVersionCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import pg from "pg";
import { startServer, type TestServer, testEngine } from "../harness/index.js";

const skip = testEngine === "postgres" ? false : "the read cache is shared by replicas on PostgreSQL; skipped on sqlite (run with --engine postgres)";

const value = async (s: TestServer, name: string) => (await s.ssm().send(new GetParameterCommand({ Name: name }))).Parameter?.Value;

describe("GetParameter's read cache across replicas (PostgreSQL only)", { skip }, () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startServer();
    b = await startServer({ databaseUrl: a.databaseUrl, masterKey: a.masterKey, admin: a.admin });
  });
  after(async () => {
    await b?.destroy();
    await a?.destroy();
  });

  it("reads are served from the replica's cache: a row changed behind openssm's back is not seen until a write through openssm", async () => {
    await a.ssm().send(new PutParameterCommand({ Name: "/cache/probe", Value: "v1", Type: "String" }));
    assert.equal(await value(b, "/cache/probe"), "v1");
    const db = new pg.Client({ connectionString: a.databaseUrl });
    await db.connect();
    try {
      const r = await db.query("update parameter_versions set value = 'changed-in-sql' where name_key = '/cache/probe'");
      assert.equal(r.rowCount, 1);
    } finally {
      await db.end();
    }
    // The cached read does not go to the database.
    assert.equal(await value(b, "/cache/probe"), "v1");
    await a.ssm().send(new PutParameterCommand({ Name: "/cache/probe", Value: "v2", Overwrite: true }));
    assert.equal(await value(b, "/cache/probe"), "v2");
  });

  it("a write answered by one replica is what the other replica reads next, every time (no waiting)", async () => {
    const name = "/cache/counter";
    await a.ssm().send(new PutParameterCommand({ Name: name, Value: "0", Type: "String" }));
    for (let i = 1; i <= 100; i++) {
      const [writer, reader] = i % 2 ? [a, b] : [b, a];
      assert.equal(await value(reader, name), String(i - 1), `before write ${i}`);
      await writer.ssm().send(new PutParameterCommand({ Name: name, Value: String(i), Overwrite: true }));
      assert.equal(await value(reader, name), String(i), `after write ${i}`);
    }
  });

  it("labels moved and parameters deleted through one replica are seen at once through the other", async () => {
    const name = "/cache/labelled";
    await a.ssm().send(new PutParameterCommand({ Name: name, Value: "first", Type: "String" }));
    await a.ssm().send(new PutParameterCommand({ Name: name, Value: "second", Overwrite: true }));
    await a.ssm().send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 1, Labels: ["live"] }));
    assert.equal(await value(b, `${name}:live`), "first");
    await a.ssm().send(new LabelParameterVersionCommand({ Name: name, ParameterVersion: 2, Labels: ["live"] }));
    assert.equal(await value(b, `${name}:live`), "second");
    assert.equal(await value(b, name), "second");
    await a.ssm().send(new DeleteParameterCommand({ Name: name }));
    await assert.rejects(b.ssm().send(new GetParameterCommand({ Name: name })), { name: "ParameterNotFound" });
    await assert.rejects(b.ssm().send(new GetParameterCommand({ Name: `${name}:live` })), { name: "ParameterNotFound" });
    // Created again: not the deleted one from the cache.
    await a.ssm().send(new PutParameterCommand({ Name: name, Value: "reborn", Type: "String" }));
    assert.equal(await value(b, name), "reborn");
  });
});

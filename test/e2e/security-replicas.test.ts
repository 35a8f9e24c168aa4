import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  LabelParameterVersionCommand,
  PutParameterCommand,
} from "@aws-sdk/client-ssm";
import pg from "pg";
import { createUser, eventually, startServer, type TestServer, testEngine } from "../harness/index.js";
import { openssm } from "./security-helpers.js";

const value = async (s: TestServer, name: string) => (await s.ssm().send(new GetParameterCommand({ Name: name }))).Parameter?.Value;

const skip = testEngine === "postgres" ? false : "several replicas share one PostgreSQL database; skipped on sqlite (run with --engine postgres)";

describe("several replicas on one PostgreSQL database (PostgreSQL only)", { skip }, () => {
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

  it("what one replica writes the other reads, SecureString included", async () => {
    await a.ssm().send(new PutParameterCommand({ Name: "/replicas/plain", Value: "from-a", Type: "String" }));
    await a.ssm().send(new PutParameterCommand({ Name: "/replicas/secret", Value: "secret-from-a", Type: "SecureString" }));
    assert.equal((await b.ssm().send(new GetParameterCommand({ Name: "/replicas/plain" }))).Parameter?.Value, "from-a");
    assert.equal((await b.ssm().send(new GetParameterCommand({ Name: "/replicas/secret", WithDecryption: true }))).Parameter?.Value, "secret-from-a");
    await b.ssm().send(new PutParameterCommand({ Name: "/replicas/plain", Value: "from-b", Overwrite: true }));
    const p = (await a.ssm().send(new GetParameterCommand({ Name: "/replicas/plain" }))).Parameter;
    assert.equal(p?.Value, "from-b");
    assert.equal(p?.Version, 2);
  });

  it("concurrent overwrites through both replicas lose no version", async () => {
    await a.ssm().send(new PutParameterCommand({ Name: "/replicas/counter", Value: "0", Type: "String" }));
    // AWS answers TooManyUpdates to a write that races another; the caller retries it.
    const write = async (i: number): Promise<number> => {
      for (;;) {
        try {
          const r = await (i % 2 ? a : b).ssm().send(new PutParameterCommand({ Name: "/replicas/counter", Value: `w${i}`, Overwrite: true }));
          return Number(r.Version);
        } catch (e) {
          if ((e as Error).name !== "TooManyUpdates") throw e;
        }
      }
    };
    const versions = (await Promise.all(Array.from({ length: 20 }, (_, i) => write(i)))).sort((x, y) => x - y);
    assert.deepEqual(
      versions,
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
    const history = await b.ssm().send(new GetParameterHistoryCommand({ Name: "/replicas/counter", MaxResults: 50 }));
    assert.equal(history.Parameters?.length, 21);
  });

  it("a user and a key deactivation made once reach both replicas", async () => {
    const user = await createUser(a, "replica-user", [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: "*" }] }]);
    assert.equal((await b.ssm(user).send(new GetParameterCommand({ Name: "/replicas/plain" }))).Parameter?.Value, "from-b");
    const off = await openssm(a, ["iam", "update-access-key", "--access-key-id", user.accessKeyId, "--status", "Inactive"]);
    assert.equal(off.code, 0, off.stderr);
    for (const replica of [a, b]) {
      await eventually(
        async () => {
          try {
            await replica.ssm(user).send(new GetParameterCommand({ Name: "/replicas/plain" }));
            return false;
          } catch (e) {
            return (e as Error).name === "UnrecognizedClientException";
          }
        },
        { timeoutMs: 10_000, intervalMs: 250, what: "the key to be refused on every replica" },
      );
    }
  });

  it("GetParameter reads are served from the replica's cache: a row changed behind openssm's back is not seen until a write through openssm", async () => {
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

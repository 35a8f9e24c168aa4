import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, ParameterNotFound, PutParameterCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer, testEngine } from "../harness/index.js";
import { openssm } from "./security-helpers.js";

async function secureValue(server: TestServer, name: string): Promise<string | undefined> {
  const r = await server.ssm().send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  return r.Parameter?.Value;
}

describe(`openssm backup and restore (${testEngine})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
    await server.ssm().send(new PutParameterCommand({ Name: "/ops/db-password", Value: "s3cret-before-backup", Type: "SecureString" }));
    await server.ssm().send(new PutParameterCommand({ Name: "/ops/plain", Value: "v1", Type: "String" }));
  });
  after(async () => server?.destroy());

  it("backs up a running SQLite server and restores the backup once the server is stopped", { skip: testEngine !== "sqlite" }, async () => {
    const file = join(server.dataDir, "nightly.backup");
    const backup = await openssm(server, ["backup", "--to", file]);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /backed up .*openssm\.db to .*nightly\.backup \(\d+\.\d MiB, \d+ ms\)/);
    assert.match(backup.stdout, /sealed under the master key, which is not in the backup/);
    assert.match(backup.stderr, /backup: 100% \(\d+\/\d+ pages\)/);
    assert.equal(statSync(file).mode & 0o777, 0o600);

    // Written after the backup: gone once it is restored.
    await server.ssm().send(new PutParameterCommand({ Name: "/ops/after-backup", Value: "x", Type: "String" }));
    await server.ssm().send(new PutParameterCommand({ Name: "/ops/plain", Value: "v2", Type: "String", Overwrite: true }));

    const whileRunning = await openssm(server, ["restore", "--from", file]);
    assert.equal(whileRunning.code, 1);
    assert.match(whileRunning.stderr, /is open in another process \(a running openssm server\?\): stop the server, then restore/);

    const wrongKey = await openssm(server, ["restore", "--from", file], { OPENSSM_MASTER_KEY: Buffer.alloc(32, 7).toString("base64") });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /the master key does not open the secrets in .*nightly\.backup/);

    await server.stop();
    const restore = await openssm(server, ["restore", "--from", file]);
    assert.equal(restore.code, 0, restore.stderr);
    const previous = /kept as (\S+)/.exec(restore.stdout)?.[1];
    assert.ok(previous && existsSync(previous), restore.stdout);

    await server.restart();
    assert.equal(await secureValue(server, "/ops/db-password"), "s3cret-before-backup");
    assert.equal(await secureValue(server, "/ops/plain"), "v1");
    await assert.rejects(server.ssm().send(new GetParameterCommand({ Name: "/ops/after-backup" })), ParameterNotFound);
    // The restored database takes writes.
    await server.ssm().send(new PutParameterCommand({ Name: "/ops/after-restore", Value: "y", Type: "String" }));
    assert.equal(await secureValue(server, "/ops/after-restore"), "y");
  });

  it("on PostgreSQL, says to use pg_dump and pg_restore and touches nothing", { skip: testEngine !== "postgres" }, async () => {
    const backup = await openssm(server, ["backup", "--to", join(server.dataDir, "x.backup")]);
    assert.equal(backup.code, 1);
    assert.match(backup.stderr, /PostgreSQL: back it up with PostgreSQL's own tools/);
    assert.match(backup.stderr, /pg_dump --format=custom/);
    assert.equal(existsSync(join(server.dataDir, "x.backup")), false);
    const restore = await openssm(server, ["restore", "--from", join(server.dataDir, "x.backup")]);
    assert.equal(restore.code, 1);
    assert.match(restore.stderr, /pg_restore --clean/);
    assert.equal(await secureValue(server, "/ops/db-password"), "s3cret-before-backup");
  });
});

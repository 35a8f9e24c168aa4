import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateAliasCommand, CreateKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { GetParameterCommand, GetParameterHistoryCommand, GetParametersByPathCommand, GetParametersCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { createUser, eventually, startServer, type TestServer } from "../harness/index.js";
import { dumpStorage, findLeaks, openssm } from "./security-helpers.js";
import { openStorage } from "@openssm/server";

/** Secrets (SecureString values, access-key secrets) must never be on disk, in logs or in the audit trail in plaintext. */
describe("no plaintext secrets in storage, logs or the audit trail", () => {
  let server: TestServer;
  const secrets: string[] = [];
  const fresh = (label: string) => {
    const s = `${label}-${randomBytes(12).toString("hex")}`;
    secrets.push(s);
    return s;
  };

  before(async () => {
    server = await startServer({ env: { OPENSSM_LOG_LEVEL: "debug" } });
    secrets.push(server.admin.secretAccessKey);
    const ssm = server.ssm();
    const kms = server.kms();
    const key = await kms.send(new CreateKeyCommand({ Description: "plaintext test" }));
    await kms.send(new CreateAliasCommand({ AliasName: "alias/plaintext-test", TargetKeyId: key.KeyMetadata?.KeyId }));

    await ssm.send(new PutParameterCommand({ Name: "/leak/default-key", Value: fresh("default"), Type: "SecureString" }));
    await ssm.send(new PutParameterCommand({ Name: "/leak/custom-key", Value: fresh("custom"), Type: "SecureString", KeyId: "alias/plaintext-test" }));
    await ssm.send(new PutParameterCommand({ Name: "/leak/custom-key", Value: fresh("custom-v2"), Type: "SecureString", Overwrite: true }));
    await ssm.send(
      new PutParameterCommand({ Name: "/leak/advanced", Value: `${fresh("advanced")}${"x".repeat(5000)}`, Type: "SecureString", Tier: "Advanced" }),
    );
    await kms.send(new EncryptCommand({ KeyId: "alias/plaintext-test", Plaintext: Buffer.from(fresh("kms-plaintext")) }));

    // Read them back every way, so the read paths (and their logging) run too.
    await ssm.send(new GetParameterCommand({ Name: "/leak/default-key", WithDecryption: true }));
    await ssm.send(new GetParametersCommand({ Names: ["/leak/custom-key", "/leak/advanced"], WithDecryption: true }));
    await ssm.send(new GetParametersByPathCommand({ Path: "/leak", WithDecryption: true }));
    await ssm.send(new GetParameterHistoryCommand({ Name: "/leak/custom-key", WithDecryption: true }));
    // Errors whose messages could echo input.
    await assert.rejects(ssm.send(new PutParameterCommand({ Name: "/leak/default-key", Value: fresh("refused-overwrite"), Type: "SecureString" })));
    await assert.rejects(ssm.send(new PutParameterCommand({ Name: "/leak/too-big", Value: fresh("too-big") + "y".repeat(9000), Type: "SecureString" })));

    const user = await createUser(server, "leak-test-user", []);
    secrets.push(user.secretAccessKey);
    await openssm(server, ["iam", "create-user", "--user-name", "cli-user"]);
    const cli = await openssm(server, ["iam", "create-access-key", "--user-name", "cli-user"]);
    assert.equal(cli.code, 0, cli.stderr);
    secrets.push(cli.json.AccessKey.SecretAccessKey);

    // Wait until the audit trail holds the last call (records are written in batches).
    const storage = openStorage(server.databaseUrl);
    try {
      await eventually(
        async () => {
          const n = await storage.db.selectFrom("audit_log").select("operation").where("operation", "=", "GetParameterHistory").execute();
          return n.length > 0;
        },
        { what: "the audit records" },
      );
    } finally {
      await storage.close();
    }
  });
  after(async () => server?.destroy());

  it("the server log (at debug level) holds no secret", () => {
    assert.ok(server.output().length > 0, "expected debug output from the server");
    assert.deepEqual(findLeaks(server.output(), secrets), []);
  });

  it("no table holds a secret (and the audit trail shows SecureString values as ***)", async () => {
    const dump = await dumpStorage(server.databaseUrl);
    assert.ok(dump.includes("/leak/custom-key"));
    assert.deepEqual(findLeaks(dump, secrets), []);
    const storage = openStorage(server.databaseUrl);
    try {
      const puts = await storage.db.selectFrom("audit_log").select("parameters").where("operation", "=", "PutParameter").execute();
      assert.ok(puts.length >= 4);
      for (const r of puts) assert.equal(JSON.parse(String(r.parameters)).Value, "***");
    } finally {
      await storage.close();
    }
  });

  it("the SQLite files (database, WAL, shared memory) hold no secret, while running and after a stop", async (t) => {
    if (server.engine !== "sqlite") {
      t.skip("PostgreSQL's files belong to its server; the table scan above covers this engine");
      return;
    }
    const files = ["openssm.db", "openssm.db-wal", "openssm.db-shm"].map((f) => join(server.dataDir, f)).filter(existsSync);
    assert.ok(files.length >= 1);
    for (const f of files) assert.equal(statSync(f).mode & 0o077, 0, `${f} must be readable by its owner only`);
    for (const f of files) assert.deepEqual(findLeaks(readFileSync(f), secrets), [], f);
    await server.stop();
    for (const f of ["openssm.db", "openssm.db-wal", "openssm.db-shm"].map((x) => join(server.dataDir, x)).filter(existsSync)) {
      assert.deepEqual(findLeaks(readFileSync(f), secrets), [], f);
    }
  });
});

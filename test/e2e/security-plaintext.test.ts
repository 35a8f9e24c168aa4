import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateAliasCommand, CreateKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import {
  GetCommandInvocationCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  SendCommandCommand,
} from "@aws-sdk/client-ssm";
import { registerFakeNode, replyPayload } from "../harness/fake-node.js";
import { createUser, eventually, startServer, type TestServer } from "../harness/index.js";
import { dumpStorage, findLeaks, openssm } from "./security-helpers.js";
import { openStorage } from "@openssm/server";

/**
 * Secrets (SecureString values, access-key secrets, what commands print) must never be on disk, in logs
 * or in the audit trail in plaintext.
 */
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

    // A command that prints secrets: its output comes back streamed in pieces (openssm's agent) and
    // whole with a summary (AWS's agent), over ec2messages, whose SendReply the audit trail records.
    const node = await registerFakeNode(server);
    const printed = fresh("command-stdout");
    const warned = fresh("command-stderr");
    const summarized = fresh("command-summary");
    const sent = await ssm.send(
      new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [node.instanceId], Parameters: { commands: ["cat /run/secrets/app"] } }),
    );
    const commandId = String(sent.Command?.CommandId);
    const message = await node.nextMessage();
    await node.acknowledge(message.MessageId);
    const step = "aws:runShellScript";
    const streamed = await node.sendReply(
      message.MessageId,
      replyPayload("InProgress", { [step]: { status: "InProgress", stdout: `token=${printed}\n`, stdoutOffset: 0 } }),
    );
    assert.equal(streamed.status, 200, JSON.stringify(streamed.body));
    const whole = await node.sendReply(
      message.MessageId,
      replyPayload("Success", { [step]: { status: "Success", stdout: `token=${printed}\n`, stderr: `warning: ${warned}\n`, output: `token=${summarized}` } }),
    );
    assert.equal(whole.status, 200, JSON.stringify(whole.body));
    const inv = await eventually(async () => {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: node.instanceId }));
      return r.Status === "Success" ? r : undefined;
    });
    // The read paths give the output back (and run their logging).
    assert.equal(inv.StandardOutputContent, `token=${printed}\n`);
    assert.equal(inv.StandardErrorContent, `warning: ${warned}\n`);
    const listed = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
    assert.equal(listed.CommandInvocations?.[0].CommandPlugins?.[0].Output, `token=${summarized}`);

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

/** Output stored in plaintext (before it was sealed) is sealed after an upgrade and still reads the same. */
describe("command output kept in plaintext by an earlier version", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.destroy());

  it("is sealed by the server after its start, and reads back the same", async () => {
    const ssm = server.ssm();
    const node = await registerFakeNode(server);
    const sent = await ssm.send(
      new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [node.instanceId], Parameters: { commands: ["env"] } }),
    );
    const commandId = String(sent.Command?.CommandId);
    const message = await node.nextMessage();
    const step = "aws:runShellScript";
    await node.sendReply(message.MessageId, replyPayload("Success", { [step]: { status: "Success", stdout: "sealed already\n" } }));
    await eventually(async () => (await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: node.instanceId }))).Status === "Success");
    await server.stop();

    // What the earlier version left: a stderr piece and the step's summary in plaintext.
    const stderr = `PASSWORD=${randomBytes(12).toString("hex")}\n`;
    const summary = `summary ${randomBytes(12).toString("hex")}`;
    const storage = openStorage(server.databaseUrl);
    try {
      await storage.db
        .insertInto("commands_output")
        .values({ command_id: commandId, instance_id: node.instanceId, plugin: step, stream: "stderr", position: 0, text: stderr })
        .execute();
      await storage.db
        .updateTable("commands_plugins")
        .set({ output: summary, output_sealed: null })
        .where("command_id", "=", commandId)
        .where("name", "=", step)
        .execute();
    } finally {
      await storage.close();
    }
    assert.deepEqual(findLeaks(await dumpStorage(server.databaseUrl), [stderr.trim(), summary]), [stderr.trim(), summary]);

    await server.restart();
    await eventually(async () => findLeaks(await dumpStorage(server.databaseUrl), [stderr.trim(), summary]).length === 0, {
      what: "the plaintext output to be sealed",
    });
    const inv = await server.ssm().send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: node.instanceId }));
    assert.equal(inv.StandardOutputContent, "sealed already\n");
    assert.equal(inv.StandardErrorContent, stderr);
    const listed = await server.ssm().send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
    assert.equal(listed.CommandInvocations?.[0].CommandPlugins?.[0].Output, summary);
  });
});

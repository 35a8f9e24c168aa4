import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, DisableKeyCommand, EnableKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import {
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersCommand,
  PutParameterCommand,
  type PutParameterCommandInput,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { openStorage } from "@openssm/server";
import { sql } from "kysely";
import { createUser, defaultAccountId, startServer, type TestServer } from "../harness/index.js";

/** Distinctive plaintexts that must never reach the database, the logs or the audit trail. */
const SECRETS = ["s3cr3t-default-key-Zq81x", "s3cr3t-customer-key-Wm27p", "s3cr3t-rotated-value-Kd55r"];

describe("Parameter Store: SecureString through KMS", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let kms: KMSClient;
  let account: string;
  let keyId: string;
  let keyArn: string;
  const put = (input: PutParameterCommandInput) => ssm.send(new PutParameterCommand(input));
  const get = (Name: string, WithDecryption: boolean, client = ssm) => client.send(new GetParameterCommand({ Name, WithDecryption }));
  const keyIdOf = async (name: string) =>
    (await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Values: [name] }] }))).Parameters?.[0]?.KeyId;

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    kms = server.kms();
    account = await defaultAccountId(server);
    const key = (await kms.send(new CreateKeyCommand({ Description: "myapp secrets" }))).KeyMetadata!;
    keyId = key.KeyId!;
    keyArn = key.Arn!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/myapp-key", TargetKeyId: keyId }));
  });
  after(async () => server?.destroy());

  it("encrypts with the AWS managed key alias/aws/ssm by default", async () => {
    assert.equal((await put({ Name: "/sec/default", Value: SECRETS[0], Type: "SecureString" })).Version, 1);
    assert.equal(await keyIdOf("/sec/default"), "alias/aws/ssm");
    assert.equal((await get("/sec/default", true)).Parameter?.Value, SECRETS[0]);
    // Without decryption AWS returns the KMS ciphertext, base64-encoded.
    const cipher = (await get("/sec/default", false)).Parameter!.Value!;
    assert.notEqual(cipher, SECRETS[0]);
    assert.ok(!Buffer.from(cipher, "base64").toString("latin1").includes(SECRETS[0]));
    // It is a real KMS ciphertext, bound to the parameter's ARN as AWS binds it.
    const arn = `arn:aws:ssm:us-east-1:${account}:parameter/sec/default`;
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(cipher, "base64"), EncryptionContext: { PARAMETER_ARN: arn } }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), SECRETS[0]);
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(cipher, "base64") })), { name: "InvalidCiphertextException" });
  });

  it("encrypts with a customer key named by alias, id or ARN, and keeps it on overwrite", async () => {
    await put({ Name: "/sec/custom", Value: SECRETS[1], Type: "SecureString", KeyId: "alias/myapp-key" });
    assert.equal(await keyIdOf("/sec/custom"), "alias/myapp-key");
    assert.equal((await get("/sec/custom", true)).Parameter?.Value, SECRETS[1]);
    await put({ Name: "/sec/custom", Value: SECRETS[2], Overwrite: true });
    assert.equal(await keyIdOf("/sec/custom"), "alias/myapp-key");
    await put({ Name: "/sec/by-id", Value: "v", Type: "SecureString", KeyId: keyId });
    await put({ Name: "/sec/by-arn", Value: "v", Type: "SecureString", KeyId: keyArn });
    assert.equal(await keyIdOf("/sec/by-arn"), keyArn);
    assert.equal((await get("/sec/by-arn", true)).Parameter?.Value, "v");
    const filtered = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "KeyId", Values: [keyId] }] }));
    assert.deepEqual(filtered.Parameters?.map((p) => p.Name).sort(), ["/sec/by-arn", "/sec/by-id", "/sec/custom"]);
  });

  it("shows every version of the history decrypted on request", async () => {
    const plain = await ssm.send(new GetParameterHistoryCommand({ Name: "/sec/custom" }));
    assert.ok(plain.Parameters?.every((p) => !SECRETS.includes(p.Value!)));
    assert.deepEqual(
      plain.Parameters?.map((p) => p.KeyId),
      ["alias/myapp-key", "alias/myapp-key"],
    );
    const dec = await ssm.send(new GetParameterHistoryCommand({ Name: "/sec/custom", WithDecryption: true }));
    assert.deepEqual(
      dec.Parameters?.map((p) => p.Value),
      [SECRETS[1], SECRETS[2]],
    );
    const many = await ssm.send(new GetParametersCommand({ Names: ["/sec/custom", "/sec/default:1"], WithDecryption: true }));
    assert.deepEqual(many.Parameters?.map((p) => p.Value).sort(), [SECRETS[0], SECRETS[2]].sort());
  });

  it("answers InvalidKeyId for a key that does not exist or is disabled", async () => {
    await assert.rejects(put({ Name: "/sec/nokey", Value: "v", Type: "SecureString", KeyId: "alias/does-not-exist" }), {
      name: "InvalidKeyId",
      message: /alias\/does-not-exist/,
    });
    await assert.rejects(put({ Name: "/sec/nokey", Value: "v", Type: "SecureString", KeyId: "00000000-0000-4000-8000-000000000000" }), {
      name: "InvalidKeyId",
    });
    await assert.rejects(get("/sec/nokey", false), { name: "ParameterNotFound" });
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await assert.rejects(put({ Name: "/sec/disabled", Value: "v", Type: "SecureString", KeyId: "alias/myapp-key" }), {
      name: "InvalidKeyId",
      message: /disabled/,
    });
    await assert.rejects(get("/sec/custom", true), { name: "InvalidKeyId", message: /disabled/ });
    assert.ok((await get("/sec/custom", false)).Parameter?.Value);
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    assert.equal((await get("/sec/custom", true)).Parameter?.Value, SECRETS[2]);
  });

  it("ignores KeyId on String parameters, as AWS does", async () => {
    await put({ Name: "/sec/plain", Value: "visible", Type: "String", KeyId: "alias/myapp-key" });
    assert.equal(await keyIdOf("/sec/plain"), undefined);
    // Changing a SecureString into a String drops its key and stores the value plain.
    await put({ Name: "/sec/by-id", Value: "now plain", Type: "String", Overwrite: true });
    assert.equal(await keyIdOf("/sec/by-id"), undefined);
    assert.equal((await get("/sec/by-id", false)).Parameter?.Value, "now plain");
  });

  it("needs kms:Decrypt on a customer key to decrypt, not on the AWS managed key", async () => {
    const reader = await createUser(server, "ssm-only", [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter*", Resource: "*" }] },
    ]);
    const r = server.ssm(reader);
    assert.equal((await get("/sec/default", true, r)).Parameter?.Value, SECRETS[0]);
    await assert.rejects(get("/sec/custom", true, r), { name: "AccessDeniedException", message: /kms:Decrypt/ });
    assert.ok((await get("/sec/custom", false, r)).Parameter?.Value);
    const withKms = await createUser(server, "ssm-and-kms", [
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "ssm:GetParameter", Resource: "*" },
          { Effect: "Allow", Action: "kms:Decrypt", Resource: keyArn },
        ],
      },
    ]);
    assert.equal((await get("/sec/custom", true, server.ssm(withKms))).Parameter?.Value, SECRETS[2]);
  });

  it("stores no SecureString plaintext in the database, its WAL, the audit trail or the logs", async () => {
    // A String value stored the same way shows the scan reads the right data.
    let control = false;
    if (server.engine === "sqlite") {
      for (const file of readdirSync(server.dataDir)) {
        if (!file.startsWith("openssm.db")) continue;
        const bytes = readFileSync(join(server.dataDir, file)).toString("latin1");
        control ||= bytes.includes("now plain");
        for (const s of SECRETS) assert.ok(!bytes.includes(s), `${s} found in ${file}`);
      }
    } else {
      const storage = openStorage(server.databaseUrl);
      try {
        const tables = await storage.db
          .selectFrom("information_schema.tables" as never)
          .select("table_name" as never)
          .where("table_schema" as never, "=", "public" as never)
          .execute();
        for (const { table_name } of tables as { table_name: string }[]) {
          const { rows } = await sql<{ t: string }>`select t::text as t from ${sql.table(table_name)} t`.execute(storage.db);
          const dump = rows.map((r) => r.t).join("\n");
          control ||= dump.includes("now plain");
          for (const s of SECRETS) assert.ok(!dump.includes(s), `${s} found in table ${table_name}`);
        }
      } finally {
        await storage.close();
      }
    }
    assert.ok(control, "the scan did not find the control value");
    for (const s of SECRETS) assert.ok(!server.output().includes(s), `${s} found in the server's log`);
  });
});

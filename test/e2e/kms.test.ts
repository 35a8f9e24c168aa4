import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  type KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import { awsCli, boto3, createUser, eventually, startServer, type TestServer } from "../harness/index.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const text = (s: string) => Buffer.from(s, "utf8");
const DAY = 86_400;

describe("KMS", () => {
  let server: TestServer;
  let kms: KMSClient;
  let account: string;
  /** A client after the test clock moved: SigV4's skew window is on wall time, so it signs as usual. */
  const clientAt = (_offsetSeconds: number) => server.kms();
  const newKey = async (description = "test key") => (await kms.send(new CreateKeyCommand({ Description: description }))).KeyMetadata!;

  before(async () => {
    server = await startServer({ testClock: true });
    kms = server.kms();
  });
  after(async () => server?.destroy());

  it("creates a symmetric key with a description and tags, and describes it by every kind of reference", async () => {
    const created = await kms.send(new CreateKeyCommand({ Description: "app secrets", Tags: [{ TagKey: "team", TagValue: "blue" }] }));
    const md = created.KeyMetadata!;
    assert.match(md.KeyId!, UUID);
    account = md.AWSAccountId!;
    assert.equal(md.Arn, `arn:aws:kms:us-east-1:${account}:key/${md.KeyId}`);
    assert.equal(md.Description, "app secrets");
    assert.equal(md.KeyState, "Enabled");
    assert.equal(md.Enabled, true);
    assert.equal(md.KeyUsage, "ENCRYPT_DECRYPT");
    assert.equal(md.KeySpec, "SYMMETRIC_DEFAULT");
    assert.equal(md.KeyManager, "CUSTOMER");
    assert.equal(md.Origin, "AWS_KMS");
    assert.deepEqual(md.EncryptionAlgorithms, ["SYMMETRIC_DEFAULT"]);
    assert.ok(md.CreationDate instanceof Date);

    await kms.send(new CreateAliasCommand({ AliasName: "alias/app-secrets", TargetKeyId: md.KeyId }));
    const refs = [md.KeyId!, md.Arn!, "alias/app-secrets", `arn:aws:kms:us-east-1:${account}:alias/app-secrets`];
    for (const KeyId of refs) {
      const d = await kms.send(new DescribeKeyCommand({ KeyId }));
      assert.equal(d.KeyMetadata?.KeyId, md.KeyId, KeyId);
    }
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: md.KeyId }));
    assert.deepEqual(tags.Tags, [{ TagKey: "team", TagValue: "blue" }]);
  });

  it("refuses what it does not support and bad tags, with clear errors", async () => {
    await assert.rejects(kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" })), {
      name: "UnsupportedOperationException",
      message: /SYMMETRIC_DEFAULT/,
    });
    await assert.rejects(kms.send(new CreateKeyCommand({ KeyUsage: "SIGN_VERIFY" })), {
      name: "UnsupportedOperationException",
      message: /KeyUsage SIGN_VERIFY/,
    });
    await assert.rejects(kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "aws:owner", TagValue: "x" }] })), { name: "TagException" });
    await assert.rejects(kms.send(new CreateKeyCommand({ KeySpec: "NOPE" as never })), { name: "ValidationException" });
  });

  it("answers NotFoundException for keys and aliases that do not exist", async () => {
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "00000000-0000-4000-8000-000000000000" })), {
      name: "NotFoundException",
      message: /key\/00000000-0000-4000-8000-000000000000' does not exist/,
    });
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "alias/nope" })), { name: "NotFoundException", message: /alias\/nope' is not found/ });
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "not-a-key" })), { name: "NotFoundException", message: /Invalid keyId/ });
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "arn:aws:kms:us-east-1:999999999999:key/00000000-0000-4000-8000-000000000000" })), {
      name: "NotFoundException",
    });
  });

  it("lists keys with pagination", async () => {
    const a = await newKey("list a");
    const b = await newKey("list b");
    const seen: string[] = [];
    let Marker: string | undefined;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 1, Marker }));
      assert.ok(page.Keys!.length <= 1);
      for (const k of page.Keys!) {
        assert.equal(k.KeyArn, `arn:aws:kms:us-east-1:${account}:key/${k.KeyId}`);
        seen.push(k.KeyId!);
      }
      assert.equal(page.Truncated, page.NextMarker !== undefined);
      Marker = page.NextMarker;
    } while (Marker);
    assert.ok(seen.includes(a.KeyId!) && seen.includes(b.KeyId!));
    assert.equal(new Set(seen).size, seen.length);
    await assert.rejects(kms.send(new ListKeysCommand({ Marker: "garbage" })), { name: "InvalidMarkerException" });
  });

  it("creates, lists, moves and deletes aliases with AWS's rules", async () => {
    const k1 = await newKey("alias one");
    const k2 = await newKey("alias two");
    await kms.send(new CreateAliasCommand({ AliasName: "alias/team/one", TargetKeyId: k1.Arn }));
    await kms.send(new CreateAliasCommand({ AliasName: "alias/team/also-one", TargetKeyId: k1.KeyId }));
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/team/one", TargetKeyId: k2.KeyId })), {
      name: "AlreadyExistsException",
      message: new RegExp(`arn:aws:kms:us-east-1:${account}:alias/team/one already exists`),
    });
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/aws/mine", TargetKeyId: k2.KeyId })), {
      name: "InvalidAliasNameException",
      message: /reserved/,
    });
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "team-one", TargetKeyId: k2.KeyId })), {
      name: "ValidationException",
      message: /Alias must start with the prefix "alias\/"/,
    });
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/x", TargetKeyId: "alias/team/one" })), { name: "ValidationException" });
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/x", TargetKeyId: "00000000-0000-4000-8000-000000000000" })), {
      name: "NotFoundException",
    });

    const forK1 = await kms.send(new ListAliasesCommand({ KeyId: k1.KeyId }));
    assert.deepEqual(forK1.Aliases!.map((a) => a.AliasName).sort(), ["alias/team/also-one", "alias/team/one"]);
    const one = forK1.Aliases!.find((a) => a.AliasName === "alias/team/one")!;
    assert.equal(one.AliasArn, `arn:aws:kms:us-east-1:${account}:alias/team/one`);
    assert.equal(one.TargetKeyId, k1.KeyId);
    assert.ok(one.CreationDate instanceof Date);
    const all = await kms.send(new ListAliasesCommand({}));
    assert.ok(all.Aliases!.some((a) => a.AliasName === "alias/team/one"));
    const page = await kms.send(new ListAliasesCommand({ Limit: 1 }));
    assert.equal(page.Aliases!.length, 1);
    assert.equal(page.Truncated, true);
    const next = await kms.send(new ListAliasesCommand({ Limit: 1, Marker: page.NextMarker }));
    assert.notEqual(next.Aliases![0].AliasName, page.Aliases![0].AliasName);

    await kms.send(new UpdateAliasCommand({ AliasName: "alias/team/also-one", TargetKeyId: k2.KeyId }));
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: "alias/team/also-one" }))).KeyMetadata?.KeyId, k2.KeyId);

    await kms.send(new DeleteAliasCommand({ AliasName: "alias/team/one" }));
    await assert.rejects(kms.send(new DescribeKeyCommand({ KeyId: "alias/team/one" })), { name: "NotFoundException" });
    await assert.rejects(kms.send(new DeleteAliasCommand({ AliasName: "alias/team/one" })), { name: "NotFoundException" });
    await assert.rejects(kms.send(new ListAliasesCommand({ KeyId: "00000000-0000-4000-8000-000000000000" })), { name: "NotFoundException" });
  });

  it("encrypts and decrypts by every kind of reference, and Decrypt needs no KeyId", async () => {
    const key = await newKey("crypto");
    await kms.send(new CreateAliasCommand({ AliasName: "alias/crypto", TargetKeyId: key.KeyId }));
    for (const KeyId of [key.KeyId!, key.Arn!, "alias/crypto", `arn:aws:kms:us-east-1:${account}:alias/crypto`]) {
      const enc = await kms.send(new EncryptCommand({ KeyId, Plaintext: text(`hello ${KeyId}`) }));
      assert.equal(enc.KeyId, key.Arn);
      assert.equal(enc.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");
      assert.ok(!Buffer.from(enc.CiphertextBlob!).includes(text("hello")));
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
      assert.equal(Buffer.from(dec.Plaintext!).toString(), `hello ${KeyId}`);
      assert.equal(dec.KeyId, key.Arn);
      const withKey = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId }));
      assert.equal(Buffer.from(withKey.Plaintext!).toString(), `hello ${KeyId}`);
    }
    const other = await newKey("other");
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("x") }));
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: other.KeyId })), { name: "IncorrectKeyException" });
    await assert.rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" })), {
      name: "InvalidKeyUsageException",
    });
    const two = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("x") }));
    assert.notDeepEqual(Buffer.from(two.CiphertextBlob!), Buffer.from(enc.CiphertextBlob!), "a fresh IV every time");
  });

  it("binds the encryption context and detects tampering with InvalidCiphertextException", async () => {
    const key = await newKey("context");
    const EncryptionContext = { purpose: "test", tenant: "a" };
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("bound"), EncryptionContext }));
    const blob = Buffer.from(enc.CiphertextBlob!);
    const ok = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: "a", purpose: "test" } }));
    assert.equal(Buffer.from(ok.Plaintext!).toString(), "bound");
    const wrong: (Record<string, string> | undefined)[] = [
      undefined,
      { purpose: "test", tenant: "b" },
      { purpose: "test" },
      { ...EncryptionContext, extra: "1" },
    ];
    for (const ctx of wrong) {
      await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: ctx })), { name: "InvalidCiphertextException" });
    }
    const tampered = Buffer.from(blob);
    tampered[tampered.length - 1] ^= 1;
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext })), { name: "InvalidCiphertextException" });
    const badTag = Buffer.from(blob);
    badTag[35] ^= 0x80;
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: badTag, EncryptionContext })), { name: "InvalidCiphertextException" });
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: text("not a ciphertext at all, just some bytes") })), {
      name: "InvalidCiphertextException",
    });
  });

  it("generates data keys by KeySpec or NumberOfBytes", async () => {
    const key = await newKey("data keys");
    const cases = [
      [{ KeySpec: "AES_256" as const }, 32],
      [{ KeySpec: "AES_128" as const }, 16],
      [{ NumberOfBytes: 64 }, 64],
    ] as const;
    for (const [spec, length] of cases) {
      const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, ...spec, EncryptionContext: { k: "v" } }));
      assert.equal(dk.Plaintext!.length, length);
      assert.equal(dk.KeyId, key.Arn);
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { k: "v" } }));
      assert.deepEqual(Buffer.from(dec.Plaintext!), Buffer.from(dk.Plaintext!));
    }
    const without = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
    assert.equal((without as { Plaintext?: unknown }).Plaintext, undefined);
    assert.equal((await kms.send(new DecryptCommand({ CiphertextBlob: without.CiphertextBlob }))).Plaintext!.length, 32);
    await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId })), { name: "ValidationException" });
    await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256", NumberOfBytes: 32 })), { name: "ValidationException" });
    await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, NumberOfBytes: 2000 })), { name: "ValidationException" });
  });

  it("refuses a disabled key with DisabledException until it is enabled again", async () => {
    const key = await newKey("disable me");
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("while enabled") }));
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    const d = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
    assert.equal(d.KeyState, "Disabled");
    assert.equal(d.Enabled, false);
    await assert.rejects(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), { name: "DisabledException", message: /is disabled/ });
    await assert.rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("x") })), { name: "DisabledException" });
    await assert.rejects(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" })), { name: "DisabledException" });
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    assert.equal(Buffer.from(dec.Plaintext!).toString(), "while enabled");
  });

  it("schedules and cancels deletion: PendingDeletion refuses use, cancelling leaves the key Disabled", async () => {
    const key = await newKey("schedule");
    await assert.rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 6 })), {
      name: "ValidationException",
      message: /greater than or equal to 7/,
    });
    await assert.rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 31 })), { name: "ValidationException" });
    const before = Date.now();
    const s = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId }));
    assert.equal(s.KeyId, key.Arn);
    assert.equal(s.KeyState, "PendingDeletion");
    assert.equal(s.PendingWindowInDays, 30);
    assert.ok(s.DeletionDate!.getTime() >= before + 30 * DAY * 1000 - 1000);
    const d = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
    assert.equal(d.KeyState, "PendingDeletion");
    assert.equal(d.DeletionDate?.getTime(), s.DeletionDate?.getTime());
    assert.equal(d.PendingDeletionWindowInDays, 30);
    await assert.rejects(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("x") })), {
      name: "KMSInvalidStateException",
      message: /pending deletion/,
    });
    await assert.rejects(kms.send(new EnableKeyCommand({ KeyId: key.KeyId })), { name: "KMSInvalidStateException" });
    await assert.rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId })), { name: "KMSInvalidStateException" });
    await assert.rejects(kms.send(new CreateAliasCommand({ AliasName: "alias/doomed", TargetKeyId: key.KeyId })), { name: "KMSInvalidStateException" });
    const c = await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    assert.equal(c.KeyId, key.Arn);
    const after = (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!;
    assert.equal(after.KeyState, "Disabled");
    assert.equal(after.DeletionDate, undefined);
    await assert.rejects(kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })), { name: "KMSInvalidStateException", message: /not pending deletion/ });
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("alive") }));
  });

  it("creates the AWS managed key alias/aws/ssm on first use and keeps it AWS's", async () => {
    const enc = await kms.send(new EncryptCommand({ KeyId: "alias/aws/ssm", Plaintext: text("managed") }));
    const md = (await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/ssm" }))).KeyMetadata!;
    assert.equal(md.KeyManager, "AWS");
    assert.equal(enc.KeyId, md.Arn);
    const again = await kms.send(new EncryptCommand({ KeyId: "alias/aws/ssm", Plaintext: text("managed") }));
    assert.equal(again.KeyId, md.Arn, "created once");
    const aliases = await kms.send(new ListAliasesCommand({ KeyId: md.KeyId }));
    assert.deepEqual(
      aliases.Aliases!.map((a) => a.AliasName),
      ["alias/aws/ssm"],
    );
    await assert.rejects(kms.send(new DisableKeyCommand({ KeyId: "alias/aws/ssm" })), { name: "AccessDeniedException", message: /AWS managed key/ });
    await assert.rejects(kms.send(new ScheduleKeyDeletionCommand({ KeyId: md.KeyId })), { name: "AccessDeniedException" });
    await assert.rejects(kms.send(new DeleteAliasCommand({ AliasName: "alias/aws/ssm" })), { name: "InvalidAliasNameException" });
    await assert.rejects(kms.send(new TagResourceCommand({ KeyId: md.KeyId, Tags: [{ TagKey: "a", TagValue: "b" }] })), { name: "AccessDeniedException" });
  });

  it("creates alias/aws/ssm once even when first used by concurrent requests", async () => {
    const eu = server.kms(server.admin, "eu-west-1");
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        eu.send(new EncryptCommand({ KeyId: i % 2 ? "alias/aws/ssm" : `arn:aws:kms:eu-west-1:${account}:alias/aws/ssm`, Plaintext: text("x") })),
      ),
    );
    assert.equal(new Set(results.map((r) => r.KeyId)).size, 1);
    assert.match(results[0].KeyId!, /^arn:aws:kms:eu-west-1:/);
    const keys = await eu.send(new ListKeysCommand({}));
    assert.deepEqual(
      keys.Keys!.map((k) => k.KeyArn),
      [results[0].KeyId],
    );
  });

  it("authorizes kms:<Operation> on the key ARN", async () => {
    const mine = await newKey("for the limited user");
    const other = await newKey("not for the limited user");
    const user = await createUser(server, "kms-limited", [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:DescribeKey"], Resource: mine.Arn }] },
    ]);
    const limited = server.kms(user);
    const enc = await limited.send(new EncryptCommand({ KeyId: mine.KeyId, Plaintext: text("limited") }));
    await assert.rejects(limited.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), {
      name: "AccessDeniedException",
      message: new RegExp(`kms:Decrypt on resource: ${mine.Arn}`),
    });
    await assert.rejects(limited.send(new EncryptCommand({ KeyId: other.KeyId, Plaintext: text("x") })), { name: "AccessDeniedException" });
    await assert.rejects(limited.send(new CreateKeyCommand({})), { name: "AccessDeniedException" });

    const tagged = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "blue" }] }))).KeyMetadata!;
    const blueOnly = await createUser(server, "kms-blue", [
      {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } } }],
      },
    ]);
    const blue = server.kms(blueOnly);
    await blue.send(new EncryptCommand({ KeyId: tagged.KeyId, Plaintext: text("blue") }));
    await assert.rejects(blue.send(new EncryptCommand({ KeyId: other.KeyId, Plaintext: text("blue") })), { name: "AccessDeniedException" });
  });

  it("works through the aws CLI v2", async () => {
    const created = await awsCli(server, ["kms", "create-key", "--description", "from the cli", "--tags", "TagKey=via,TagValue=cli"]);
    assert.equal(created.code, 0, created.stderr);
    const keyId: string = created.json.KeyMetadata.KeyId;
    assert.equal(created.json.KeyMetadata.Description, "from the cli");
    assert.equal((await awsCli(server, ["kms", "create-alias", "--alias-name", "alias/cli", "--target-key-id", keyId])).code, 0);
    const described = await awsCli(server, ["kms", "describe-key", "--key-id", "alias/cli"]);
    assert.equal(described.json.KeyMetadata.KeyId, keyId);
    const listed = await awsCli(server, ["kms", "list-aliases", "--key-id", keyId]);
    assert.deepEqual(
      listed.json.Aliases.map((a: { AliasName: string }) => a.AliasName),
      ["alias/cli"],
    );

    const enc = await awsCli(server, [
      "kms",
      "encrypt",
      "--key-id",
      "alias/cli",
      "--plaintext",
      text("cli secret").toString("base64"),
      "--encryption-context",
      "app=cli",
    ]);
    assert.equal(enc.code, 0, enc.stderr);
    const blob: string = enc.json.CiphertextBlob;
    const dec = await awsCli(server, ["kms", "decrypt", "--ciphertext-blob", blob, "--encryption-context", "app=cli"]);
    assert.equal(dec.code, 0, dec.stderr);
    assert.equal(Buffer.from(dec.json.Plaintext, "base64").toString(), "cli secret");
    const wrong = await awsCli(server, ["kms", "decrypt", "--ciphertext-blob", blob, "--encryption-context", "app=other"]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /InvalidCiphertextException/);

    const dk = await awsCli(server, ["kms", "generate-data-key", "--key-id", keyId, "--key-spec", "AES_128"]);
    assert.equal(Buffer.from(dk.json.Plaintext, "base64").length, 16);

    assert.equal((await awsCli(server, ["kms", "disable-key", "--key-id", keyId])).code, 0);
    const disabled = await awsCli(server, ["kms", "decrypt", "--ciphertext-blob", blob, "--encryption-context", "app=cli"]);
    assert.match(disabled.stderr, /DisabledException/);
    assert.equal((await awsCli(server, ["kms", "enable-key", "--key-id", keyId])).code, 0);

    const sched = await awsCli(server, ["kms", "schedule-key-deletion", "--key-id", keyId, "--pending-window-in-days", "7"]);
    assert.equal(sched.code, 0, sched.stderr);
    assert.equal(sched.json.KeyState, "PendingDeletion");
    assert.equal(sched.json.PendingWindowInDays, 7);
    const pending = await awsCli(server, ["kms", "encrypt", "--key-id", keyId, "--plaintext", "eA=="]);
    assert.match(pending.stderr, /KMSInvalidStateException/);
    const cancel = await awsCli(server, ["kms", "cancel-key-deletion", "--key-id", keyId]);
    assert.equal(cancel.json.KeyId, created.json.KeyMetadata.Arn);
    assert.equal((await awsCli(server, ["kms", "describe-key", "--key-id", keyId])).json.KeyMetadata.KeyState, "Disabled");

    assert.equal((await awsCli(server, ["kms", "delete-alias", "--alias-name", "alias/cli"])).code, 0);
    const reserved = await awsCli(server, ["kms", "create-alias", "--alias-name", "alias/aws/cli", "--target-key-id", keyId]);
    assert.match(reserved.stderr, /InvalidAliasNameException/);
  });

  it("works through boto3", async () => {
    const r = await boto3(
      server,
      `
out = {}
k = kms.create_key(Description='from boto3', KeySpec='SYMMETRIC_DEFAULT', KeyUsage='ENCRYPT_DECRYPT')['KeyMetadata']
out['state'] = k['KeyState']
kms.create_alias(AliasName='alias/boto', TargetKeyId=k['KeyId'])
try:
    kms.create_alias(AliasName='alias/boto', TargetKeyId=k['KeyId'])
except ClientError as e:
    out['dup'] = e.response['Error']['Code']
enc = kms.encrypt(KeyId='alias/boto', Plaintext=b'boto secret', EncryptionContext={'a': '1'})
out['enc_key'] = enc['KeyId'] == k['Arn']
dec = kms.decrypt(CiphertextBlob=enc['CiphertextBlob'], EncryptionContext={'a': '1'})
out['plain'] = dec['Plaintext'].decode()
try:
    kms.decrypt(CiphertextBlob=enc['CiphertextBlob'])
except ClientError as e:
    out['noctx'] = e.response['Error']['Code']
blob = bytearray(enc['CiphertextBlob']); blob[-3] ^= 0xff
try:
    kms.decrypt(CiphertextBlob=bytes(blob), EncryptionContext={'a': '1'})
except ClientError as e:
    out['tamper'] = e.response['Error']['Code']
dk = kms.generate_data_key(KeyId=k['Arn'], NumberOfBytes=24)
out['dk'] = len(dk['Plaintext'])
out['aliases'] = [a['AliasName'] for a in kms.list_aliases(KeyId=k['KeyId'])['Aliases']]
out['listed'] = any(x['KeyId'] == k['KeyId'] for x in kms.list_keys()['Keys'])
kms.disable_key(KeyId=k['KeyId'])
try:
    kms.decrypt(CiphertextBlob=enc['CiphertextBlob'], EncryptionContext={'a': '1'})
except ClientError as e:
    out['disabled'] = e.response['Error']['Code']
s = kms.schedule_key_deletion(KeyId=k['KeyId'], PendingWindowInDays=10)
out['sched'] = [s['KeyState'], s['PendingWindowInDays']]
try:
    kms.enable_key(KeyId=k['KeyId'])
except ClientError as e:
    out['pending'] = e.response['Error']['Code']
kms.cancel_key_deletion(KeyId=k['KeyId'])
out['after_cancel'] = kms.describe_key(KeyId='alias/boto')['KeyMetadata']['KeyState']
kms.delete_alias(AliasName='alias/boto')
try:
    kms.describe_key(KeyId='alias/boto')
except ClientError as e:
    out['gone'] = e.response['Error']['Code']
print(json.dumps(out))
`,
    );
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, {
      state: "Enabled",
      dup: "AlreadyExistsException",
      enc_key: true,
      plain: "boto secret",
      noctx: "InvalidCiphertextException",
      tamper: "InvalidCiphertextException",
      dk: 24,
      aliases: ["alias/boto"],
      listed: true,
      disabled: "DisabledException",
      sched: ["PendingDeletion", 10],
      pending: "KMSInvalidStateException",
      after_cancel: "Disabled",
      gone: "NotFoundException",
    });
  });

  it("never writes a plaintext to the database", async () => {
    const secret = `known-plaintext-${Math.random().toString(36).slice(2)}-do-not-store`;
    const key = await newKey("disk check");
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text(secret) }));
    await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    if (server.engine !== "sqlite") return;
    await server.advanceClock(0); // flushes the audit log; committed writes are in the database or its WAL
    const files = ["openssm.db", "openssm.db-wal"].map((f) => `${server.dataDir}/${f}`).filter((f) => existsSync(f));
    assert.ok(files.length > 0);
    for (const f of files) {
      const bytes = readFileSync(f);
      assert.ok(!bytes.includes(text(secret)), `${f} holds the plaintext`);
      assert.ok(!bytes.includes(text(text(secret).toString("base64"))), `${f} holds the plaintext in base64`);
    }
  });

  it("deletes the key, its aliases and its use once the waiting period has passed", async () => {
    const key = await newKey("to be deleted");
    await kms.send(new CreateAliasCommand({ AliasName: "alias/to-be-deleted", TargetKeyId: key.KeyId }));
    const enc = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: text("last words") }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await server.advanceClock(6 * DAY);
    const sixDaysLater = clientAt(6 * DAY);
    assert.equal((await sixDaysLater.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState, "PendingDeletion");
    await server.advanceClock(DAY + 60);
    const later = () => clientAt(7 * DAY + 60);
    await eventually(
      () =>
        later()
          .send(new DescribeKeyCommand({ KeyId: key.KeyId }))
          .then(
            () => false,
            (e) => {
              if (e.name !== "NotFoundException") throw e;
              return true;
            },
          ),
      { what: "the key to be deleted" },
    );
    await assert.rejects(later().send(new DescribeKeyCommand({ KeyId: "alias/to-be-deleted" })), { name: "NotFoundException" });
    await assert.rejects(later().send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), { name: "NotFoundException" });
    const keys = await later().send(new ListKeysCommand({ Limit: 1000 }));
    assert.ok(!keys.Keys!.some((k) => k.KeyId === key.KeyId));
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  type PutParameterCommandInput,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { allowAll, createUser, defaultAccountId, startServer, type TestServer } from "../harness/index.js";

describe("Parameter Store: put, get, delete, names, tiers, data types", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let account: string;
  const put = (input: PutParameterCommandInput) => ssm.send(new PutParameterCommand(input));
  const get = (Name: string, WithDecryption = false) => ssm.send(new GetParameterCommand({ Name, WithDecryption }));
  const describeOne = async (name: string) =>
    (await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Values: [name] }] }))).Parameters?.[0];

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    account = await defaultAccountId(server);
  });
  after(async () => server?.destroy());

  it("takes many writes at once (more than the database pool's connections) and answers every one", async () => {
    // Each write runs in a transaction; nothing it does inside may wait for a second pool connection,
    // or writes that hold every connection wait for each other forever.
    const names = Array.from({ length: 120 }, (_, i) => `/app/basic/burst/p${i}`);
    const started = Date.now();
    const writes = await Promise.all(
      names.map((Name) => {
        const client = server.ssm();
        return client.send(new PutParameterCommand({ Name, Value: "v", Type: "String" })).finally(() => client.destroy());
      }),
    );
    assert.equal(writes.length, names.length);
    assert.ok(writes.every((w) => w.Version === 1));
    assert.ok(Date.now() - started < 30_000, `120 writes took ${Date.now() - started} ms`);
  });

  it("creates a String parameter and reads it back with AWS's fields", async () => {
    const r = await put({ Name: "/app/basic/greeting", Value: "hello", Type: "String", Description: "a greeting" });
    assert.equal(r.Version, 1);
    assert.equal(r.Tier, "Standard");
    const p = (await get("/app/basic/greeting")).Parameter!;
    assert.equal(p.Name, "/app/basic/greeting");
    assert.equal(p.Type, "String");
    assert.equal(p.Value, "hello");
    assert.equal(p.Version, 1);
    assert.equal(p.DataType, "text");
    assert.equal(p.ARN, `arn:aws:ssm:us-east-1:${account}:parameter/app/basic/greeting`);
    assert.ok(p.LastModifiedDate instanceof Date);
    assert.ok(Math.abs(p.LastModifiedDate.getTime() - Date.now()) < 60_000);
    assert.equal(p.Selector, undefined);
    const md = await describeOne("/app/basic/greeting");
    assert.equal(md?.Description, "a greeting");
    assert.equal(md?.LastModifiedUser, `arn:aws:iam::${account}:user/admin`);
    assert.equal(md?.Tier, "Standard");
    assert.deepEqual(md?.Policies, []);
  });

  it("refuses to overwrite without Overwrite, and versions with it (changing the type as AWS allows)", async () => {
    await put({ Name: "/app/basic/list", Value: "a,b", Type: "StringList" });
    await assert.rejects(put({ Name: "/app/basic/list", Value: "c", Type: "StringList" }), {
      name: "ParameterAlreadyExists",
      message: "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    });
    const v2 = await put({ Name: "/app/basic/list", Value: "a,b,c", Overwrite: true });
    assert.equal(v2.Version, 2);
    const p = (await get("/app/basic/list")).Parameter!;
    assert.equal(p.Type, "StringList");
    assert.equal(p.Value, "a,b,c");
    const v3 = await put({ Name: "/app/basic/list", Value: "plain", Type: "String", Overwrite: true });
    assert.equal(v3.Version, 3);
    assert.equal((await get("/app/basic/list")).Parameter?.Type, "String");
    assert.equal((await get("/app/basic/list:1")).Parameter?.Type, "StringList");
    // An overwrite keeps what it doesn't restate.
    await put({ Name: "/app/basic/greeting", Value: "hi", Overwrite: true });
    assert.equal((await describeOne("/app/basic/greeting"))?.Description, "a greeting");
  });

  it("requires a type to create, and a value", async () => {
    await assert.rejects(put({ Name: "/app/basic/untyped", Value: "x" }), { name: "ValidationException", message: /type is required/ });
    await assert.rejects(put({ Name: "/app/basic/empty", Value: "", Type: "String" }), {
      name: "ValidationException",
      message: /length greater than or equal to 1/,
    });
    await assert.rejects(put({ Name: "/app/basic/nested", Value: "x {{ssm:/other}} y", Type: "String" }), {
      name: "ValidationException",
      message: /can't nest another parameter/,
    });
    await assert.rejects(put({ Name: "/app/basic/typo", Value: "x", Type: "Text" as never }), { name: "ValidationException", message: /enum/ });
  });

  it("applies AWS's name rules", async () => {
    const bad = ["has space", "/app/bad*char", "app/not-qualified", "/app//double", "/app/trailing/", "SSM-thing", "/Ssm/x/y"];
    for (const Name of bad) await assert.rejects(put({ Name, Value: "x", Type: "String" }), { name: "ValidationException" }, Name);
    const deep = `/${Array.from({ length: 15 }, (_, i) => `l${i + 1}`).join("/")}`;
    await put({ Name: deep, Value: "fifteen", Type: "String" });
    await assert.rejects(put({ Name: `${deep}/l16`, Value: "x", Type: "String" }), { name: "HierarchyLevelLimitExceededException", message: /15 levels/ });
    const prefix = `arn:aws:ssm:us-east-1:${account}:parameter/`;
    const longest = `/${"n".repeat(1011 - prefix.length)}`;
    await put({ Name: longest, Value: "long", Type: "String" });
    await assert.rejects(put({ Name: `${longest}x`, Value: "x", Type: "String" }), { name: "ValidationException", message: /1011/ });
    await assert.rejects(put({ Name: `${prefix}app/arn-put`, Value: "x", Type: "String" }), { name: "ValidationException", message: /not its ARN/ });
    // AWS strips spaces around a name.
    await put({ Name: "  /app/basic/spaced  ", Value: "s", Type: "String" });
    assert.equal((await get("/app/basic/spaced")).Parameter?.Name, "/app/basic/spaced");
    await put({ Name: "/app/basic/Dots_and-dashes.v1", Value: "ok", Type: "String" });
  });

  it("refuses reserved names as AWS does: the aws prefix is AccessDenied, the ssm prefix a ValidationException", async () => {
    for (const [Name, shown] of [
      ["/aws/thing", "aws/thing"],
      ["/AWS/service/mine", "AWS/service/mine"],
      ["awsThing", "awsThing"],
      ["aws-cdk-playground", "aws-cdk-playground"],
    ]) {
      await assert.rejects(
        put({ Name, Value: "x", Type: "String" }),
        { name: "AccessDeniedException", message: `No access to reserved parameter name: ${shown}.` },
        Name,
      );
    }
    await assert.rejects(ssm.send(new DeleteParameterCommand({ Name: "/aws/thing" })), {
      name: "AccessDeniedException",
      message: /reserved parameter name: aws\/thing\./,
    });
    const rules =
      /^Parameter name: can't be prefixed with "aws" or "ssm" \(case-insensitive\)\. If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols \.-_$/;
    for (const Name of ["ssm-x", "SSMfoo", "/ssm/x", "/Ssm-app/y"]) {
      await assert.rejects(put({ Name, Value: "x", Type: "String" }), { name: "ValidationException", message: rules }, Name);
    }
    // Names that only contain aws or ssm further on are ordinary names.
    await put({ Name: "/app/aws/ssm", Value: "fine", Type: "String" });
    await put({ Name: "my-aws-thing", Value: "fine", Type: "String" });
  });

  it("refuses a name with a slash but none in front, and never authorizes it against another ARN", async () => {
    await assert.rejects(put({ Name: "app/prod/x", Value: "x", Type: "String" }), {
      name: "ValidationException",
      message: /^Parameter name must be a fully qualified name\./,
    });
    for (const send of [
      () => get("app/prod/x"),
      () => ssm.send(new DeleteParameterCommand({ Name: "app/prod/x" })),
      () => ssm.send(new GetParameterHistoryCommand({ Name: "app/prod/x" })),
    ]) {
      await assert.rejects(send(), { name: "ValidationException", message: /^Parameter name: can't be prefixed with "aws" or "ssm"/ });
    }
    // A user allowed only parameter/pp/* (the ARN the name used to be checked against) gets nothing from it.
    await put({ Name: "/pp/prod/x", Value: "pp", Type: "String" });
    const narrow = await createUser(server, "pp-only", [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:*", Resource: `arn:aws:ssm:us-east-1:${account}:parameter/pp/*` }] },
    ]);
    await assert.rejects(server.ssm(narrow).send(new GetParameterCommand({ Name: "app/prod/x" })), { name: "ValidationException" });
    assert.equal((await server.ssm(narrow).send(new GetParameterCommand({ Name: "/pp/prod/x" }))).Parameter?.Value, "pp");
    // ARNs: parameter/x for x, parameter/a/b for /a/b.
    await put({ Name: "rootname", Value: "r", Type: "String" });
    assert.equal((await get("rootname")).Parameter?.ARN, `arn:aws:ssm:us-east-1:${account}:parameter/rootname`);
    assert.equal((await get("/pp/prod/x")).Parameter?.ARN, `arn:aws:ssm:us-east-1:${account}:parameter/pp/prod/x`);
  });

  it("treats a root name with and without its leading slash as the same parameter", async () => {
    await put({ Name: "rootparam", Value: "r1", Type: "String" });
    await assert.rejects(put({ Name: "/rootparam", Value: "r2", Type: "String" }), { name: "ParameterAlreadyExists" });
    const p = (await get("/rootparam")).Parameter!;
    assert.equal(p.Name, "rootparam");
    assert.equal(p.ARN, `arn:aws:ssm:us-east-1:${account}:parameter/rootparam`);
  });

  it("accepts ARNs and version or label selectors when reading", async () => {
    await put({ Name: "/app/basic/arn", Value: "one", Type: "String" });
    await put({ Name: "/app/basic/arn", Value: "two", Type: "String", Overwrite: true });
    const arn = `arn:aws:ssm:us-east-1:${account}:parameter/app/basic/arn`;
    assert.equal((await get(arn)).Parameter?.Value, "two");
    const v1 = (await get(`${arn}:1`)).Parameter!;
    assert.equal(v1.Value, "one");
    assert.equal(v1.Selector, ":1");
    assert.equal(v1.Name, "/app/basic/arn");
    assert.equal((await get(`arn:aws:ssm:us-east-1:${account}:parameter/rootparam`)).Parameter?.Value, "r1");
    await assert.rejects(get("/app/basic/arn:7"), { name: "ParameterVersionNotFound", message: /version 7/ });
    await assert.rejects(get("/app/basic/arn:nolabel"), { name: "ParameterVersionNotFound", message: /nolabel/ });
    await assert.rejects(get("/app/basic/missing"), { name: "ParameterNotFound", message: /\/app\/basic\/missing/ });
    await assert.rejects(get("arn:aws:ssm:us-east-1:999999999999:parameter/app/basic/arn"), { name: "ParameterNotFound", message: /share/ });
  });

  it("GetParameters returns what it finds and lists the rest in InvalidParameters", async () => {
    const r = await ssm.send(
      new GetParametersCommand({ Names: ["/app/basic/arn", "/app/basic/arn:1", "/app/basic/nope", "/app/basic/arn:9", "rootparam", "/app/basic/arn"] }),
    );
    assert.deepEqual(r.Parameters?.map((p) => [p.Name, p.Value, p.Selector]).sort(), [
      ["/app/basic/arn", "one", ":1"],
      ["/app/basic/arn", "two", undefined],
      ["rootparam", "r1", undefined],
    ]);
    assert.deepEqual(r.InvalidParameters?.sort(), ["/app/basic/arn:9", "/app/basic/nope"]);
    await assert.rejects(ssm.send(new GetParametersCommand({ Names: Array.from({ length: 11 }, (_, i) => `/p${i}`) })), { name: "ValidationException" });
  });

  it("deletes one parameter or several", async () => {
    await put({ Name: "/app/del/a", Value: "a", Type: "String", Tags: [{ Key: "team", Value: "x" }] });
    await put({ Name: "/app/del/b", Value: "b", Type: "String" });
    await put({ Name: "/app/del/c", Value: "c", Type: "String" });
    await ssm.send(new DeleteParameterCommand({ Name: "/app/del/a" }));
    await assert.rejects(get("/app/del/a"), { name: "ParameterNotFound" });
    await assert.rejects(ssm.send(new DeleteParameterCommand({ Name: "/app/del/a" })), { name: "ParameterNotFound" });
    // Re-created, it starts again at version 1 with no tags.
    assert.equal((await put({ Name: "/app/del/a", Value: "again", Type: "String" })).Version, 1);
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/app/del/a" }));
    assert.deepEqual(tags.TagList, []);
    const r = await ssm.send(
      new DeleteParametersCommand({ Names: ["/app/del/a", "/app/del/b", "/app/del/zzz", `arn:aws:ssm:us-east-1:${account}:parameter/app/del/c`] }),
    );
    assert.deepEqual(r.DeletedParameters?.sort(), ["/app/del/a", "/app/del/b", `arn:aws:ssm:us-east-1:${account}:parameter/app/del/c`].sort());
    assert.deepEqual(r.InvalidParameters, ["/app/del/zzz"]);
    await assert.rejects(get("/app/del/c"), { name: "ParameterNotFound" });
  });

  it("puts values in the tier they need, as AWS does", async () => {
    const big = "x".repeat(4097);
    await assert.rejects(put({ Name: "/app/tier/big", Value: big, Type: "String" }), { name: "ValidationException", message: /Standard tier.*4096/ });
    await assert.rejects(put({ Name: "/app/tier/big", Value: big, Type: "String", Tier: "Standard" }), { name: "ValidationException" });
    assert.equal((await put({ Name: "/app/tier/big", Value: big, Type: "String", Tier: "Advanced" })).Tier, "Advanced");
    await assert.rejects(put({ Name: "/app/tier/huge", Value: "y".repeat(8193), Type: "String", Tier: "Advanced" }), {
      name: "ValidationException",
      message: /8192/,
    });
    // A multi-byte value counts in bytes.
    await assert.rejects(put({ Name: "/app/tier/wide", Value: "é".repeat(2049), Type: "String" }), { name: "ValidationException", message: /4096/ });
    assert.equal((await put({ Name: "/app/tier/smart-small", Value: "s", Type: "String", Tier: "Intelligent-Tiering" })).Tier, "Standard");
    assert.equal((await put({ Name: "/app/tier/smart-big", Value: big, Type: "String", Tier: "Intelligent-Tiering" })).Tier, "Advanced");
    // An overwrite without a tier keeps Advanced; going back to Standard is refused.
    assert.equal((await put({ Name: "/app/tier/big", Value: "small now", Overwrite: true })).Tier, "Advanced");
    await assert.rejects(put({ Name: "/app/tier/big", Value: "small", Overwrite: true, Tier: "Standard" }), {
      name: "ValidationException",
      message: /downgrade/,
    });
    assert.equal((await put({ Name: "/app/tier/big", Value: "small", Overwrite: true, Tier: "Intelligent-Tiering" })).Tier, "Advanced");
    // Standard grows into Advanced with Intelligent-Tiering.
    await put({ Name: "/app/tier/grows", Value: "s", Type: "String" });
    assert.equal((await put({ Name: "/app/tier/grows", Value: big, Overwrite: true, Tier: "Intelligent-Tiering" })).Tier, "Advanced");
    assert.equal((await describeOne("/app/tier/grows"))?.Tier, "Advanced");
  });

  it("checks data types: text, aws:ec2:image (AMI format), aws:ssm:integration", async () => {
    await put({ Name: "/app/ami/golden", Value: "ami-0123456789abcdef0", Type: "String", DataType: "aws:ec2:image" });
    assert.equal((await get("/app/ami/golden")).Parameter?.DataType, "aws:ec2:image");
    await put({ Name: "/app/ami/short", Value: "ami-12345678", Type: "String", DataType: "aws:ec2:image" });
    await assert.rejects(put({ Name: "/app/ami/bad", Value: "not-an-ami", Type: "String", DataType: "aws:ec2:image" }), {
      name: "ValidationException",
      message: /AMI/,
    });
    // The data type stays with the parameter.
    await assert.rejects(put({ Name: "/app/ami/golden", Value: "ami-xyz", Overwrite: true }), { name: "ValidationException", message: /AMI/ });
    await assert.rejects(put({ Name: "/app/ami/list", Value: "ami-12345678", Type: "StringList", DataType: "aws:ec2:image" }), { name: "ValidationException" });
    await assert.rejects(put({ Name: "/app/ami/odd", Value: "x", Type: "String", DataType: "Text" }), {
      name: "ValidationException",
      message: /data type is not supported: Text/,
    });
    await put({ Name: "/app/integration/hook", Value: "{}", Type: "SecureString", DataType: "aws:ssm:integration" });
  });

  it("keeps AllowedPattern with the parameter", async () => {
    await put({ Name: "/app/pattern/port", Value: "8080", Type: "String", AllowedPattern: "^\\d+$" });
    await assert.rejects(put({ Name: "/app/pattern/port", Value: "eighty", Overwrite: true }), {
      name: "ParameterPatternMismatchException",
      message: /allowedPattern: \^\\d\+\$/,
    });
    await put({ Name: "/app/pattern/port", Value: "9090", Overwrite: true });
    assert.equal((await describeOne("/app/pattern/port"))?.AllowedPattern, "^\\d+$");
    await assert.rejects(put({ Name: "/app/pattern/new", Value: "abc", Type: "String", AllowedPattern: "\\d+" }), {
      name: "ParameterPatternMismatchException",
    });
    await assert.rejects(put({ Name: "/app/pattern/broken", Value: "abc", Type: "String", AllowedPattern: "([a-z" }), {
      name: "InvalidAllowedPatternException",
    });
  });

  it("takes Tags on creation only, never together with Overwrite", async () => {
    await put({ Name: "/app/tags/one", Value: "1", Type: "String", Tags: [{ Key: "env", Value: "prod" }] });
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/app/tags/one" }));
    assert.deepEqual(tags.TagList, [{ Key: "env", Value: "prod" }]);
    await assert.rejects(put({ Name: "/app/tags/one", Value: "2", Overwrite: true, Tags: [{ Key: "env", Value: "dev" }] }), {
      name: "ValidationException",
      message: /tags and overwrite can't be used together/,
    });
    await assert.rejects(put({ Name: "/app/tags/reserved", Value: "1", Type: "String", Tags: [{ Key: "aws:x", Value: "y" }] }), {
      name: "ValidationException",
    });
    await assert.rejects(ssm.send(new ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/app/tags/none" })), { name: "InvalidResourceId" });
  });
  it("keeps parameters apart per region and per account", async () => {
    const west = server.ssm(server.admin, "eu-west-1");
    await west.send(new PutParameterCommand({ Name: "/app/basic/greeting", Value: "bonjour", Type: "String" }));
    const p = (await west.send(new GetParameterCommand({ Name: "/app/basic/greeting" }))).Parameter!;
    assert.equal(p.Value, "bonjour");
    assert.equal(p.ARN, `arn:aws:ssm:eu-west-1:${account}:parameter/app/basic/greeting`);
    assert.equal((await get("/app/basic/greeting")).Parameter?.Value, "hi");
    const other = await createUser(server, "other-admin", [allowAll], { accountId: "210987654321" });
    const theirs = server.ssm(other);
    await assert.rejects(theirs.send(new GetParameterCommand({ Name: "/app/basic/greeting" })), { name: "ParameterNotFound" });
    await theirs.send(new PutParameterCommand({ Name: "/app/basic/greeting", Value: "hola", Type: "String" }));
    assert.equal(
      (await theirs.send(new GetParameterCommand({ Name: "/app/basic/greeting" }))).Parameter?.ARN,
      "arn:aws:ssm:us-east-1:210987654321:parameter/app/basic/greeting",
    );
    assert.equal((await get("/app/basic/greeting")).Parameter?.Value, "hi");
  });
  it("honours PutParameter's condition keys: ssm:Overwrite and aws:RequestTag", async () => {
    const creator = await createUser(server, "creator", [
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "ssm:PutParameter", Resource: "arn:aws:ssm:*:*:parameter/app/guarded/*" },
          { Effect: "Deny", Action: "ssm:PutParameter", Resource: "*", Condition: { StringEquals: { "ssm:Overwrite": ["true"] } } },
        ],
      },
    ]);
    const c = server.ssm(creator);
    await c.send(new PutParameterCommand({ Name: "/app/guarded/one", Value: "1", Type: "String" }));
    await assert.rejects(c.send(new PutParameterCommand({ Name: "/app/guarded/one", Value: "2", Type: "String", Overwrite: true })), {
      name: "AccessDeniedException",
      message: /explicit deny/,
    });
    await assert.rejects(c.send(new PutParameterCommand({ Name: "/app/elsewhere", Value: "1", Type: "String" })), { name: "AccessDeniedException" });
    const tagger = await createUser(server, "tagger", [
      {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "ssm:PutParameter", Resource: "*", Condition: { StringEquals: { "aws:RequestTag/team": "blue" } } }],
      },
    ]);
    const t = server.ssm(tagger);
    await t.send(new PutParameterCommand({ Name: "/app/guarded/blue", Value: "b", Type: "String", Tags: [{ Key: "team", Value: "blue" }] }));
    await assert.rejects(t.send(new PutParameterCommand({ Name: "/app/guarded/red", Value: "r", Type: "String", Tags: [{ Key: "team", Value: "red" }] })), {
      name: "AccessDeniedException",
    });
  });
});

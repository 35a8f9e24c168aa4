import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AddTagsToResourceCommand,
  DescribeParametersCommand,
  type DescribeParametersCommandInput,
  GetParameterCommand,
  GetParametersByPathCommand,
  type GetParametersByPathCommandInput,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { createUser, startServer, type TestServer } from "../harness/index.js";

describe("Parameter Store: paths, filters, tags, pagination and what the caller may see", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const put = (Name: string, Value: string, extra: Record<string, unknown> = {}) =>
    ssm.send(new PutParameterCommand({ Name, Value, Type: "String", ...extra }));
  const byPath = async (input: GetParametersByPathCommandInput, client = ssm) => {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new GetParametersByPathCommand({ ...input, NextToken }));
      names.push(...(page.Parameters ?? []).map((p) => p.Name!));
      NextToken = page.NextToken;
    } while (NextToken);
    return names;
  };
  const describeAll = async (input: DescribeParametersCommandInput = {}, client = ssm) => {
    const names: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new DescribeParametersCommand({ ...input, NextToken }));
      names.push(...(page.Parameters ?? []).map((p) => p.Name!));
      NextToken = page.NextToken;
    } while (NextToken);
    return names;
  };

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    for (const env of ["dev", "prod"]) {
      await put(`/myapp/${env}/database/host`, `db.${env}.internal`, { Tags: [{ Key: "env", Value: env }] });
      await put(`/myapp/${env}/database/port`, "5432");
      await put(`/myapp/${env}/database/username`, "app");
      await put(`/myapp/${env}/database/password`, `secret-${env}`, { Type: "SecureString", Tags: [{ Key: "env", Value: env }] });
      await put(`/myapp/${env}/api/endpoint`, `https://api.${env}.example.com`);
      await put(`/myapp/${env}/api/timeout`, "30");
    }
    await put("/myapp/prod/feature-flags/new-checkout", "enabled", { Tier: "Advanced" });
    await put("/myapp/prod/amis/golden", "ami-0123456789abcdef0", { DataType: "aws:ec2:image" });
    await put("/myapp/prod/hosts", "a,b,c", { Type: "StringList" });
    await put("rootone", "1");
    await put("/roottwo", "2");
  });
  after(async () => server?.destroy());

  it("GetParametersByPath returns one level, or the whole subtree when recursive", async () => {
    assert.deepEqual(await byPath({ Path: "/myapp/dev" }), []);
    assert.deepEqual(await byPath({ Path: "/myapp/dev/database/" }), [
      "/myapp/dev/database/host",
      "/myapp/dev/database/password",
      "/myapp/dev/database/port",
      "/myapp/dev/database/username",
    ]);
    assert.deepEqual(await byPath({ Path: "/myapp/dev", Recursive: true }), [
      "/myapp/dev/api/endpoint",
      "/myapp/dev/api/timeout",
      "/myapp/dev/database/host",
      "/myapp/dev/database/password",
      "/myapp/dev/database/port",
      "/myapp/dev/database/username",
    ]);
    assert.deepEqual(await byPath({ Path: "/" }), ["rootone", "/roottwo"]);
    assert.equal((await byPath({ Path: "/", Recursive: true })).length, 17);
    assert.deepEqual(await byPath({ Path: "/myapp/de", Recursive: true }), []);
    assert.deepEqual(await byPath({ Path: "/aws/service/ami-amazon-linux-latest" }), []);
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: "myapp" })), { name: "ValidationException" });
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: "/myapp", MaxResults: 11 })), { name: "ValidationException" });
  });

  it("GetParametersByPath decrypts on request and pages ten at a time", async () => {
    const plain = await ssm.send(new GetParametersByPathCommand({ Path: "/myapp/prod/database" }));
    const pw = plain.Parameters?.find((p) => p.Name === "/myapp/prod/database/password");
    assert.equal(pw?.Type, "SecureString");
    assert.notEqual(pw?.Value, "secret-prod");
    assert.ok(Buffer.from(pw?.Value ?? "", "base64").length > 16);
    const dec = await ssm.send(new GetParametersByPathCommand({ Path: "/myapp/prod/database", WithDecryption: true }));
    assert.equal(dec.Parameters?.find((p) => p.Name === "/myapp/prod/database/password")?.Value, "secret-prod");
    const first = await ssm.send(new GetParametersByPathCommand({ Path: "/myapp", Recursive: true }));
    assert.equal(first.Parameters?.length, 10);
    assert.ok(first.NextToken);
    const rest = await ssm.send(new GetParametersByPathCommand({ Path: "/myapp", Recursive: true, NextToken: first.NextToken }));
    assert.equal(rest.Parameters?.length, 5);
    assert.equal(rest.NextToken, undefined);
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: "/myapp/dev", Recursive: true, NextToken: first.NextToken })), {
      name: "InvalidNextToken",
    });
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: "/myapp", NextToken: "bm9wZQ" })), { name: "InvalidNextToken" });
  });

  it("GetParametersByPath takes only Type, KeyId and Label filters", async () => {
    assert.deepEqual(await byPath({ Path: "/myapp", Recursive: true, ParameterFilters: [{ Key: "Type", Values: ["SecureString"] }] }), [
      "/myapp/dev/database/password",
      "/myapp/prod/database/password",
    ]);
    assert.deepEqual(await byPath({ Path: "/myapp", Recursive: true, ParameterFilters: [{ Key: "KeyId", Values: ["alias/aws/ssm"] }] }), [
      "/myapp/dev/database/password",
      "/myapp/prod/database/password",
    ]);
    assert.deepEqual(await byPath({ Path: "/myapp/prod", Recursive: true, ParameterFilters: [{ Key: "Type", Option: "BeginsWith", Values: ["StringL"] }] }), [
      "/myapp/prod/hosts",
    ]);
    for (const Key of ["Name", "Path", "Tier", "DataType", "tag:env"]) {
      await assert.rejects(
        ssm.send(new GetParametersByPathCommand({ Path: "/myapp", ParameterFilters: [{ Key, Values: ["x"] }] })),
        { name: "InvalidFilterKey" },
        Key,
      );
    }
    await assert.rejects(
      ssm.send(new GetParametersByPathCommand({ Path: "/myapp", ParameterFilters: [{ Key: "Label", Option: "BeginsWith", Values: ["x"] }] })),
      {
        name: "InvalidFilterOption",
      },
    );
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: "/myapp", ParameterFilters: [{ Key: "Type", Values: ["Number"] }] })), {
      name: "InvalidFilterValue",
    });
  });

  it("DescribeParameters filters by name, path, type, tier, data type and key", async () => {
    const f = (Key: string, Values: string[], Option?: string) => describeAll({ ParameterFilters: [{ Key, Values, Option }] });
    assert.deepEqual(await f("Name", ["/myapp/dev/api/timeout"]), ["/myapp/dev/api/timeout"]);
    assert.deepEqual(await f("Name", ["rootone"]), ["rootone"]);
    assert.deepEqual(await f("Name", ["/rootone"]), ["rootone"]);
    assert.deepEqual(await f("Name", ["/myapp/dev/api"], "BeginsWith"), ["/myapp/dev/api/endpoint", "/myapp/dev/api/timeout"]);
    assert.deepEqual(await f("Name", ["checkout"], "Contains"), ["/myapp/prod/feature-flags/new-checkout"]);
    assert.deepEqual(await f("Path", ["/myapp/prod"]), ["/myapp/prod/hosts"]);
    assert.equal((await f("Path", ["/myapp/prod"], "Recursive")).length, 9);
    assert.deepEqual(await f("Path", ["/"]), ["rootone", "/roottwo"]);
    assert.deepEqual(await f("Type", ["StringList"]), ["/myapp/prod/hosts"]);
    assert.deepEqual(await f("Tier", ["Advanced"]), ["/myapp/prod/feature-flags/new-checkout"]);
    assert.deepEqual(await f("DataType", ["aws:ec2:image"]), ["/myapp/prod/amis/golden"]);
    assert.deepEqual(await f("KeyId", ["alias/aws/ssm"]), ["/myapp/dev/database/password", "/myapp/prod/database/password"]);
    const both = await describeAll({
      ParameterFilters: [
        { Key: "Path", Option: "Recursive", Values: ["/myapp/dev"] },
        { Key: "Type", Values: ["SecureString"] },
      ],
    });
    assert.deepEqual(both, ["/myapp/dev/database/password"]);
    const md = (await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Values: ["/myapp/dev/database/password"] }] })))
      .Parameters![0];
    assert.equal(md.KeyId, "alias/aws/ssm");
    assert.equal(md.Type, "SecureString");
    assert.match(md.ARN!, /:parameter\/myapp\/dev\/database\/password$/);
  });

  it("DescribeParameters takes the old-style Filters too, but not both kinds at once", async () => {
    assert.deepEqual(await describeAll({ Filters: [{ Key: "Name", Values: ["/myapp/dev/api"] }] }), ["/myapp/dev/api/endpoint", "/myapp/dev/api/timeout"]);
    assert.deepEqual(await describeAll({ Filters: [{ Key: "Type", Values: ["StringList"] }] }), ["/myapp/prod/hosts"]);
    await assert.rejects(
      ssm.send(new DescribeParametersCommand({ Filters: [{ Key: "Type", Values: ["String"] }], ParameterFilters: [{ Key: "Type", Values: ["String"] }] })),
      { name: "ValidationException", message: /either Filters or ParameterFilters/ },
    );
  });

  it("DescribeParameters refuses bad filters with AWS's errors", async () => {
    const bad = async (ParameterFilters: DescribeParametersCommandInput["ParameterFilters"], name: string) =>
      assert.rejects(ssm.send(new DescribeParametersCommand({ ParameterFilters })), { name }, JSON.stringify(ParameterFilters));
    await bad([{ Key: "Label", Values: ["x"] }], "InvalidFilterKey");
    await bad([{ Key: "Colour", Values: ["x"] }], "ValidationException");
    await bad([{ Key: "Path", Option: "BeginsWith", Values: ["/myapp"] }], "InvalidFilterOption");
    await bad([{ Key: "Type", Option: "Contains", Values: ["String"] }], "InvalidFilterOption");
    await bad([{ Key: "Name", Option: "Recursive", Values: ["x"] }], "InvalidFilterOption");
    await bad([{ Key: "Name" }], "InvalidFilterValue");
    await bad([{ Key: "Tier", Values: ["Gold"] }], "InvalidFilterValue");
    await bad([{ Key: "Path", Values: ["no-slash"] }], "ValidationException");
    await bad([{ Key: "Path", Values: ["/aws/service"] }], "ValidationException");
    await bad(
      [
        { Key: "Type", Values: ["String"] },
        { Key: "Type", Values: ["SecureString"] },
      ],
      "InvalidFilterKey",
    );
  });

  it("finds parameters by tag, with or without a value", async () => {
    await ssm.send(
      new AddTagsToResourceCommand({ ResourceType: "Parameter", ResourceId: "/myapp/prod/api/endpoint", Tags: [{ Key: "team", Value: "payments" }] }),
    );
    assert.deepEqual(await describeAll({ ParameterFilters: [{ Key: "tag:env", Values: ["prod"] }] }), [
      "/myapp/prod/database/host",
      "/myapp/prod/database/password",
    ]);
    assert.deepEqual(await describeAll({ ParameterFilters: [{ Key: "tag:team" }] }), ["/myapp/prod/api/endpoint"]);
    assert.deepEqual(await describeAll({ ParameterFilters: [{ Key: "tag:team", Option: "BeginsWith", Values: ["pay"] }] }), ["/myapp/prod/api/endpoint"]);
    await ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: "Parameter", ResourceId: "/myapp/prod/api/endpoint", TagKeys: ["team"] }));
    assert.deepEqual(await describeAll({ ParameterFilters: [{ Key: "tag:team" }] }), []);
  });

  it("pages DescribeParameters through many parameters with stable tokens", async () => {
    for (let i = 0; i < 120; i++) await put(`/many/p${String(i).padStart(3, "0")}`, String(i));
    const first = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Path", Values: ["/many"] }], MaxResults: 50 }));
    assert.equal(first.Parameters?.length, 50);
    const again = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Path", Values: ["/many"] }], MaxResults: 50 }));
    assert.equal(again.NextToken, first.NextToken);
    const names = await describeAll({ ParameterFilters: [{ Key: "Path", Values: ["/many"] }], MaxResults: 50 });
    assert.equal(names.length, 120);
    assert.equal(new Set(names).size, 120);
    assert.deepEqual(names, [...names].sort());
    const defaultPage = await ssm.send(new DescribeParametersCommand({}));
    assert.equal(defaultPage.Parameters?.length, 10);
    assert.equal((await describeAll()).length, 137);
    await assert.rejects(ssm.send(new DescribeParametersCommand({ NextToken: first.NextToken })), { name: "InvalidNextToken" });
    await assert.rejects(ssm.send(new DescribeParametersCommand({ MaxResults: 51 })), { name: "ValidationException" });
    assert.deepEqual((await ssm.send(new DescribeParametersCommand({ Shared: true }))).Parameters, []);
  });

  it("shows each caller only the parameters its policies allow", async () => {
    const dev = createUser(server, "dev-reader", [
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:DescribeParameters"],
            Resource: "arn:aws:ssm:*:*:parameter/myapp/dev/*",
          },
        ],
      },
    ]);
    const devSsm = server.ssm(await dev);
    assert.deepEqual(await byPath({ Path: "/myapp", Recursive: true }, devSsm), [
      "/myapp/dev/api/endpoint",
      "/myapp/dev/api/timeout",
      "/myapp/dev/database/host",
      "/myapp/dev/database/password",
      "/myapp/dev/database/port",
      "/myapp/dev/database/username",
    ]);
    await assert.rejects(devSsm.send(new GetParametersByPathCommand({ Path: "/myapp/prod", Recursive: true })), { name: "AccessDeniedException" });
    assert.equal((await describeAll({}, devSsm)).length, 6);
    assert.equal((await devSsm.send(new GetParameterCommand({ Name: "/myapp/dev/api/timeout" }))).Parameter?.Value, "30");
    await assert.rejects(devSsm.send(new GetParameterCommand({ Name: "/myapp/prod/api/timeout" })), { name: "AccessDeniedException" });

    // Allowed on the path itself (AWS's model), with an explicit deny still honoured per parameter.
    const ops = await createUser(server, "ops-reader", [
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: "ssm:GetParametersByPath", Resource: "arn:aws:ssm:*:*:parameter/myapp/prod" },
          { Effect: "Deny", Action: "ssm:*", Resource: "arn:aws:ssm:*:*:parameter/myapp/prod/database/password" },
        ],
      },
    ]);
    const opsNames = await byPath({ Path: "/myapp/prod", Recursive: true }, server.ssm(ops));
    assert.equal(opsNames.length, 8);
    assert.ok(!opsNames.includes("/myapp/prod/database/password"));

    // Tag conditions see the parameter's tags.
    const tagged = await createUser(server, "env-dev", [
      {
        Version: "2012-10-17",
        Statement: [
          {
            Effect: "Allow",
            Action: ["ssm:GetParameter", "ssm:DescribeParameters"],
            Resource: "*",
            Condition: { StringEquals: { "ssm:resourceTag/env": "dev" } },
          },
        ],
      },
    ]);
    const tSsm = server.ssm(tagged);
    assert.equal((await tSsm.send(new GetParameterCommand({ Name: "/myapp/dev/database/host" }))).Parameter?.Value, "db.dev.internal");
    await assert.rejects(tSsm.send(new GetParameterCommand({ Name: "/myapp/prod/database/host" })), { name: "AccessDeniedException" });
    assert.deepEqual(await describeAll({}, tSsm), ["/myapp/dev/database/host", "/myapp/dev/database/password"]);

    const nobody = await createUser(server, "nobody", [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: "*" }] }]);
    await assert.rejects(server.ssm(nobody).send(new DescribeParametersCommand({})), { name: "AccessDeniedException" });
  });

  it("words path errors as AWS does: the DescribeParameters Path filter and GetParametersByPath", async () => {
    const rules =
      'The parameter doesn\'t meet the parameter name requirements. The parameter name must begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol "/". Valid example: /get/parameters2-/by1./path0_.';
    for (const value of ["test", "/###", "/a//b"]) {
      await assert.rejects(
        ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Path", Values: [value] }] })),
        { name: "ValidationException", message: rules },
        value,
      );
    }
    await assert.rejects(ssm.send(new GetParametersByPathCommand({ Path: "myapp" })), { name: "ValidationException", message: rules });
    for (const value of ["/aws", "/SSM/x"]) {
      await assert.rejects(ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Path", Values: [value] }] })), {
        name: "ValidationException",
        message: 'Filters for common parameters can\'t be prefixed with "aws" or "ssm" (case-insensitive).',
      });
    }
  });
});

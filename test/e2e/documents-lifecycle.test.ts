import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AddTagsToResourceCommand,
  CreateDocumentCommand,
  type CreateDocumentCommandInput,
  DeleteDocumentCommand,
  DescribeDocumentCommand,
  GetDocumentCommand,
  ListDocumentVersionsCommand,
  ListTagsForResourceCommand,
  RemoveTagsFromResourceCommand,
  type SSMClient,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
} from "@aws-sdk/client-ssm";
import YAML from "yaml";
import { awsCli, boto3, defaultAccountId, startServer, type TestServer } from "../harness/index.js";
import { repoRoot } from "../harness/paths.js";

const fixture = (name: string) => join(repoRoot, "test/fixtures/documents", name);

const command = (script: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    schemaVersion: "2.2",
    description: `runs ${script}`,
    parameters: { who: { type: "String", default: "world" } },
    mainSteps: [{ action: "aws:runShellScript", name: "run", inputs: { runCommand: [script] } }],
    ...extra,
  });

describe("Documents: create, read, version, delete (SDK and aws CLI)", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let account: string;
  const create = (input: CreateDocumentCommandInput) => ssm.send(new CreateDocumentCommand(input));

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    account = await defaultAccountId(server);
  });
  after(async () => server?.destroy());

  it("creates seed 001's restart-service document verbatim from a YAML file with the aws CLI", async () => {
    const r = await awsCli(server, [
      "ssm",
      "create-document",
      "--name",
      "RestartService",
      "--content",
      `file://${fixture("restart-service.yml")}`,
      "--document-type",
      "Command",
      "--document-format",
      "YAML",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const d = r.json.DocumentDescription;
    assert.equal(d.Name, "RestartService");
    assert.equal(d.Owner, account);
    assert.equal(d.DocumentType, "Command");
    assert.equal(d.DocumentFormat, "YAML");
    assert.equal(d.SchemaVersion, "2.2");
    assert.equal(d.Status, "Active");
    assert.equal(d.DocumentVersion, "1");
    assert.equal(d.LatestVersion, "1");
    assert.equal(d.DefaultVersion, "1");
    assert.equal(d.Description, "Restart application service");
    assert.deepEqual(d.PlatformTypes, ["Linux", "MacOS"]);
    assert.deepEqual(d.Parameters, [{ Name: "serviceName", Type: "String", Description: "Service name to restart", DefaultValue: "myapp" }]);
    const raw = readFileSync(fixture("restart-service.yml"), "utf8");
    assert.equal(d.HashType, "Sha256");
    assert.equal(d.Hash, createHash("sha256").update(raw).digest("hex"));

    // AWS returns JSON unless DocumentFormat asks for YAML, whatever the document was created in.
    const got = await awsCli(server, ["ssm", "get-document", "--name", "RestartService"]);
    assert.equal(got.code, 0, got.stderr);
    assert.equal(got.json.DocumentFormat, "JSON");
    assert.deepEqual(JSON.parse(got.json.Content), YAML.parse(raw));
    const asCreated = await awsCli(server, ["ssm", "get-document", "--name", "RestartService", "--document-format", "YAML"]);
    assert.equal(asCreated.json.Content, raw);
    assert.equal(asCreated.json.DocumentFormat, "YAML");
  });

  it("converts between JSON and YAML on GetDocument, and back", async () => {
    const asJson = await ssm.send(new GetDocumentCommand({ Name: "RestartService", DocumentFormat: "JSON" }));
    assert.equal(asJson.DocumentFormat, "JSON");
    const parsed = JSON.parse(String(asJson.Content));
    assert.deepEqual(parsed, YAML.parse(readFileSync(fixture("restart-service.yml"), "utf8")));
    await create({ Name: "JsonDoc", Content: command("echo hi"), DocumentType: "Command" });
    const asYaml = await ssm.send(new GetDocumentCommand({ Name: "JsonDoc", DocumentFormat: "YAML" }));
    assert.equal(asYaml.DocumentFormat, "YAML");
    assert.deepEqual(YAML.parse(String(asYaml.Content)), JSON.parse(command("echo hi")));
    // The converted YAML is a valid document of its own.
    const again = await create({ Name: "JsonDocAsYaml", Content: String(asYaml.Content), DocumentFormat: "YAML" });
    assert.equal(again.DocumentDescription?.DocumentFormat, "YAML");
    const same = await ssm.send(new GetDocumentCommand({ Name: "JsonDoc", DocumentFormat: "JSON" }));
    assert.equal(same.Content, command("echo hi"));
  });

  it("versions a document: UpdateDocument, $LATEST/$DEFAULT, version names, default version", async () => {
    const c = await create({
      Name: "Versioned",
      Content: command("echo v1"),
      VersionName: "one",
      DisplayName: "Versioned doc",
      TargetType: "/AWS::EC2::Instance",
    });
    assert.equal(c.DocumentDescription?.VersionName, "one");
    assert.equal(c.DocumentDescription?.DisplayName, "Versioned doc");
    assert.equal(c.DocumentDescription?.TargetType, "/AWS::EC2::Instance");
    const u = await ssm.send(new UpdateDocumentCommand({ Name: "Versioned", Content: command("echo v2"), DocumentVersion: "$LATEST", VersionName: "two" }));
    assert.equal(u.DocumentDescription?.DocumentVersion, "2");
    assert.equal(u.DocumentDescription?.LatestVersion, "2");
    assert.equal(u.DocumentDescription?.DefaultVersion, "1");
    assert.equal(u.DocumentDescription?.DisplayName, "Versioned doc", "display name and target type carry over");
    assert.equal(u.DocumentDescription?.TargetType, "/AWS::EC2::Instance");
    const u3 = await ssm.send(new UpdateDocumentCommand({ Name: "Versioned", Content: command("echo v3"), DocumentVersion: "2" }));
    assert.equal(u3.DocumentDescription?.DocumentVersion, "3");

    const byDefault = await ssm.send(new GetDocumentCommand({ Name: "Versioned" }));
    assert.equal(byDefault.DocumentVersion, "1");
    assert.match(String(byDefault.Content), /echo v1/);
    assert.match(String((await ssm.send(new GetDocumentCommand({ Name: "Versioned", DocumentVersion: "$LATEST" }))).Content), /echo v3/);
    assert.equal((await ssm.send(new GetDocumentCommand({ Name: "Versioned", VersionName: "two" }))).DocumentVersion, "2");
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: "Versioned", DocumentVersion: "$DEFAULT" }))).Document?.DocumentVersion, "1");
    await assert.rejects(ssm.send(new GetDocumentCommand({ Name: "Versioned", DocumentVersion: "9" })), {
      name: "InvalidDocumentVersion",
      message: /no version 9/,
    });
    await assert.rejects(ssm.send(new GetDocumentCommand({ Name: "Versioned", VersionName: "nine" })), { name: "InvalidDocumentVersion" });
    await assert.rejects(ssm.send(new GetDocumentCommand({ Name: "Versioned", DocumentVersion: "1", VersionName: "two" })), { name: "InvalidDocumentVersion" });

    const d = await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: "Versioned", DocumentVersion: "2" }));
    assert.deepEqual(d.Description, { Name: "Versioned", DefaultVersion: "2", DefaultVersionName: "two" });
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: "Versioned" }))).Document?.DefaultVersion, "2");
    await assert.rejects(ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: "Versioned", DocumentVersion: "7" })), { name: "InvalidDocumentVersion" });

    const versions = await ssm.send(new ListDocumentVersionsCommand({ Name: "Versioned" }));
    assert.deepEqual(
      versions.DocumentVersions?.map((v) => [v.DocumentVersion, v.VersionName, v.IsDefaultVersion, v.Status]),
      [
        ["3", undefined, false, "Active"],
        ["2", "two", true, "Active"],
        ["1", "one", false, "Active"],
      ],
    );
    const page1 = await ssm.send(new ListDocumentVersionsCommand({ Name: "Versioned", MaxResults: 2 }));
    assert.equal(page1.DocumentVersions?.length, 2);
    const page2 = await ssm.send(new ListDocumentVersionsCommand({ Name: "Versioned", MaxResults: 2, NextToken: page1.NextToken }));
    assert.deepEqual(
      page2.DocumentVersions?.map((v) => v.DocumentVersion),
      ["1"],
    );
    assert.equal(page2.NextToken, undefined);
    await assert.rejects(ssm.send(new ListDocumentVersionsCommand({ Name: "Versioned", NextToken: "garbage" })), { name: "InvalidNextToken" });
  });

  it("refuses updates AWS refuses: old versions, same content, duplicate version names", async () => {
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "Versioned", Content: command("echo v4"), DocumentVersion: "1" })), {
      name: "InvalidDocumentVersion",
      message: /\$LATEST or 3/,
    });
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "Versioned", Content: command("echo v1") })), {
      name: "DuplicateDocumentContent",
      message: /version 1/,
    });
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "Versioned", Content: command("echo v5"), VersionName: "one" })), {
      name: "DuplicateDocumentVersionName",
    });
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "NoSuchDocument", Content: command("x") })), { name: "InvalidDocument" });
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "AWS-RunShellScript", Content: command("x") })), {
      name: "InvalidDocumentOperation",
      message: /AWS-owned/,
    });
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "Versioned", Content: "{not json" })), {
      name: "InvalidDocumentContent",
      message: /line 1/,
    });
  });

  it("refuses names, duplicates and sizes as AWS does", async () => {
    for (const name of ["AWS-Mine", "aws-lower", "AmazonThing", "amznTool", "AWSSupport-Fix"]) {
      await assert.rejects(create({ Name: name, Content: command("x") }), { name: "ValidationException", message: /reserved/ }, name);
    }
    await assert.rejects(create({ Name: "ab", Content: command("x") }), { name: "ValidationException" });
    await assert.rejects(create({ Name: "has space", Content: command("x") }), { name: "ValidationException" });
    await assert.rejects(create({ Name: "Versioned", Content: command("other") }), { name: "DocumentAlreadyExists" });
    const big = command("x".repeat(64 * 1024));
    await assert.rejects(create({ Name: "TooBig", Content: big }), { name: "MaxDocumentSizeExceeded", message: /64 KB/ });
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "Versioned", Content: big })), { name: "MaxDocumentSizeExceeded" });
    const cli = await awsCli(server, ["ssm", "create-document", "--name", "AWS-ByCli", "--content", command("x")]);
    assert.notEqual(cli.code, 0);
    assert.match(cli.stderr, /ValidationException/);
  });

  it("reads documents by ARN, and built-ins by name and by their account-less ARN", async () => {
    const arn = `arn:aws:ssm:us-east-1:${account}:document/Versioned`;
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: arn }))).Document?.Name, "Versioned");
    const builtin = await ssm.send(new DescribeDocumentCommand({ Name: "arn:aws:ssm:us-east-1::document/AWS-RunShellScript" }));
    assert.equal(builtin.Document?.Owner, "Amazon");
    await assert.rejects(ssm.send(new DescribeDocumentCommand({ Name: "arn:aws:ssm:eu-west-1::document/AWS-RunShellScript" })), {
      name: "InvalidDocument",
      message: /region/,
    });
    await assert.rejects(ssm.send(new DescribeDocumentCommand({ Name: "NotThere" })), { name: "InvalidDocument", message: /does not exist/ });
  });

  it("tags documents through the tag operations and on create", async () => {
    await create({ Name: "Tagged", Content: command("tagged"), Tags: [{ Key: "team", Value: "ops" }] });
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: "Document", ResourceId: "Tagged", Tags: [{ Key: "env", Value: "prod" }] }));
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Document", ResourceId: "Tagged" }));
    assert.deepEqual(tags.TagList, [
      { Key: "env", Value: "prod" },
      { Key: "team", Value: "ops" },
    ]);
    assert.deepEqual((await ssm.send(new DescribeDocumentCommand({ Name: "Tagged" }))).Document?.Tags?.length, 2);
    await ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: "Document", ResourceId: "Tagged", TagKeys: ["team"] }));
    assert.deepEqual((await ssm.send(new ListTagsForResourceCommand({ ResourceType: "Document", ResourceId: "Tagged" }))).TagList, [
      { Key: "env", Value: "prod" },
    ]);
    await assert.rejects(
      ssm.send(new AddTagsToResourceCommand({ ResourceType: "Document", ResourceId: "AWS-RunShellScript", Tags: [{ Key: "a", Value: "b" }] })),
      {
        name: "InvalidResourceId",
      },
    );
    await assert.rejects(create({ Name: "BadTags", Content: command("t"), Tags: [{ Key: "aws:mine", Value: "x" }] }), { name: "InvalidParameters" });
  });

  it("deletes versions and documents: default version kept, VersionName, Force for schemas", async () => {
    await create({ Name: "Deletable", Content: command("d1") });
    await ssm.send(new UpdateDocumentCommand({ Name: "Deletable", Content: command("d2"), VersionName: "second" }));
    await ssm.send(new UpdateDocumentCommand({ Name: "Deletable", Content: command("d3") }));
    await assert.rejects(ssm.send(new DeleteDocumentCommand({ Name: "Deletable", DocumentVersion: "1" })), {
      name: "InvalidDocumentOperation",
      message: /default version/,
    });
    await ssm.send(new DeleteDocumentCommand({ Name: "Deletable", DocumentVersion: "3" }));
    let desc = (await ssm.send(new DescribeDocumentCommand({ Name: "Deletable" }))).Document;
    assert.equal(desc?.LatestVersion, "2", "the latest version moves back when the latest is deleted");
    await ssm.send(new DeleteDocumentCommand({ Name: "Deletable", VersionName: "second" }));
    desc = (await ssm.send(new DescribeDocumentCommand({ Name: "Deletable" }))).Document;
    assert.equal(desc?.LatestVersion, "1");
    const v4 = await ssm.send(new UpdateDocumentCommand({ Name: "Deletable", Content: command("d4") }));
    assert.equal(v4.DocumentDescription?.DocumentVersion, "4", "version numbers are not reused");
    await ssm.send(new DeleteDocumentCommand({ Name: "Deletable" }));
    await assert.rejects(ssm.send(new DescribeDocumentCommand({ Name: "Deletable" })), { name: "InvalidDocument" });
    await assert.rejects(ssm.send(new DeleteDocumentCommand({ Name: "Deletable" })), { name: "InvalidDocument" });
    await assert.rejects(ssm.send(new DeleteDocumentCommand({ Name: "AWS-RunShellScript" })), { name: "InvalidDocumentOperation" });

    const schema = JSON.stringify({ $schema: "http://json-schema.org/draft-04/schema#", type: "object" });
    await create({ Name: "AppSchema", Content: schema, DocumentType: "ApplicationConfigurationSchema" });
    const cfg = await create({
      Name: "AppConfig",
      Content: JSON.stringify({ feature: true }),
      DocumentType: "ApplicationConfiguration",
      Requires: [{ Name: "AppSchema", Version: "$LATEST" }],
    });
    assert.deepEqual(cfg.DocumentDescription?.Requires, [{ Name: "AppSchema", Version: "$LATEST" }]);
    await assert.rejects(create({ Name: "AppConfig2", Content: "{}", DocumentType: "ApplicationConfiguration" }), {
      name: "InvalidDocumentContent",
      message: /Requires/,
    });
    await assert.rejects(ssm.send(new DeleteDocumentCommand({ Name: "AppSchema" })), { name: "InvalidDocumentOperation", message: /Force/ });
    await ssm.send(new DeleteDocumentCommand({ Name: "AppSchema", Force: true }));

    // The name can be used again, from version 1.
    const again = await create({ Name: "Deletable", Content: command("fresh") });
    assert.equal(again.DocumentDescription?.DocumentVersion, "1");
  });

  it("works through the aws CLI: update, versions, default, delete", async () => {
    const dir = mkdtempSync(join(tmpdir(), "docs-cli-"));
    writeFileSync(join(dir, "v2.yml"), YAML.stringify(JSON.parse(command("echo cli v2"))));
    const up = await awsCli(server, [
      "ssm",
      "update-document",
      "--name",
      "RestartService",
      "--content",
      `file://${join(dir, "v2.yml")}`,
      "--document-format",
      "YAML",
      "--document-version",
      "$LATEST",
    ]);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(up.json.DocumentDescription.DocumentVersion, "2");
    const def = await awsCli(server, ["ssm", "update-document-default-version", "--name", "RestartService", "--document-version", "2"]);
    assert.equal(def.code, 0, def.stderr);
    assert.equal(def.json.Description.DefaultVersion, "2");
    const list = await awsCli(server, ["ssm", "list-document-versions", "--name", "RestartService"]);
    assert.deepEqual(
      list.json.DocumentVersions.map((v: { DocumentVersion: string }) => v.DocumentVersion),
      ["2", "1"],
    );
    const asJson = await awsCli(server, ["ssm", "get-document", "--name", "RestartService", "--document-version", "1", "--document-format", "JSON"]);
    assert.equal(JSON.parse(asJson.json.Content).mainSteps[0].name, "restartService");
    const dup = await awsCli(server, [
      "ssm",
      "update-document",
      "--name",
      "RestartService",
      "--content",
      `file://${join(dir, "v2.yml")}`,
      "--document-format",
      "YAML",
    ]);
    assert.match(dup.stderr, /DuplicateDocumentContent/);
    const del = await awsCli(server, ["ssm", "delete-document", "--name", "RestartService", "--document-version", "1"]);
    assert.equal(del.code, 0, del.stderr);
    const missing = await awsCli(server, ["ssm", "describe-document", "--name", "RestartService", "--document-version", "1"]);
    assert.match(missing.stderr, /InvalidDocumentVersion/);
  });
  it("works from boto3: create in YAML, read as JSON, paginate the catalog, typed errors", async () => {
    const r = await boto3(
      server,
      [
        'content = \'schemaVersion: "2.2"\\nmainSteps:\\n  - action: aws:runShellScript\\n    name: hello\\n    inputs:\\n      runCommand: ["echo hello"]\\n\'',
        "d = ssm.create_document(Name='FromBoto3', Content=content, DocumentType='Command', DocumentFormat='YAML')['DocumentDescription']",
        "got = ssm.get_document(Name='FromBoto3', DocumentFormat='JSON')",
        "names = [i['Name'] for p in ssm.get_paginator('list_documents').paginate(Filters=[{'Key': 'Owner', 'Values': ['Amazon']}], PaginationConfig={'PageSize': 5}) for i in p['DocumentIdentifiers']]",
        "try:",
        "    ssm.create_document(Name='FromBoto3', Content=content, DocumentFormat='YAML')",
        "    dup = None",
        "except ssm.exceptions.DocumentAlreadyExists as e:",
        "    dup = e.response['Error']['Code']",
        "print(json.dumps({'version': d['DocumentVersion'], 'format': got['DocumentFormat'], 'step': json.loads(got['Content'])['mainSteps'][0]['name'], 'names': names, 'dup': dup}))",
      ].join("\n"),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.version, "1");
    assert.equal(r.json.format, "JSON");
    assert.equal(r.json.step, "hello");
    assert.ok(r.json.names.includes("AWS-RunShellScript") && r.json.names.includes("AWS-StartSSHSession"));
    assert.equal(r.json.dup, "DocumentAlreadyExists");
  });
});

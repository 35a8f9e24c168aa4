import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateDocumentCommand,
  DeleteDocumentCommand,
  DescribeDocumentCommand,
  GetDocumentCommand,
  ListDocumentsCommand,
  type ListDocumentsCommandInput,
  ListDocumentVersionsCommand,
  ModifyDocumentPermissionCommand,
  type SSMClient,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
} from "@aws-sdk/client-ssm";
import { allowAll, awsCli, createUser, defaultAccountId, startServer, type TestServer } from "../harness/index.js";

const REQUIRED = [
  "AWS-ConfigureAWSPackage",
  "AWS-GatherSoftwareInventory",
  "AWS-RunDocument",
  "AWS-RunPatchBaseline",
  "AWS-RunPowerShellScript",
  "AWS-RunShellScript",
  "AWS-StartInteractiveCommand",
  "AWS-StartPortForwardingSession",
  "AWS-StartPortForwardingSessionToRemoteHost",
  "AWS-StartSSHSession",
  "AWS-UpdateSSMAgent",
];

const shell = (text: string) =>
  JSON.stringify({
    schemaVersion: "2.2",
    description: text,
    mainSteps: [{ action: "aws:runShellScript", name: "run", inputs: { runCommand: [`echo ${text}`] } }],
  });
const powershell = (text: string) =>
  JSON.stringify({
    schemaVersion: "2.2",
    description: text,
    mainSteps: [{ action: "aws:runPowerShellScript", name: "run", inputs: { runCommand: [`Write-Output ${text}`] } }],
  });

describe("Documents: the built-in catalog, ListDocuments filters and pagination, authorization", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let account: string;
  const names = async (input: ListDocumentsCommandInput, client = ssm) => {
    const out: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await client.send(new ListDocumentsCommand({ ...input, NextToken }));
      out.push(...(page.DocumentIdentifiers ?? []).map((d) => String(d.Name)));
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  };

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    account = await defaultAccountId(server);
    await ssm.send(
      new CreateDocumentCommand({
        Name: "web-restart",
        Content: shell("web restart"),
        Tags: [{ Key: "team", Value: "web" }],
        TargetType: "/AWS::EC2::Instance",
      }),
    );
    await ssm.send(
      new CreateDocumentCommand({
        Name: "web-deploy",
        Content: shell("deploy the site"),
        Tags: [
          { Key: "team", Value: "web" },
          { Key: "tier", Value: "1" },
        ],
      }),
    );
    await ssm.send(new CreateDocumentCommand({ Name: "db-backup", Content: powershell("nightly backup"), Tags: [{ Key: "team", Value: "db" }] }));
    await ssm.send(
      new CreateDocumentCommand({
        Name: "db-runbook",
        DocumentType: "Automation",
        Content: JSON.stringify({ schemaVersion: "0.3", mainSteps: [{ name: "wait", action: "aws:sleep", inputs: { Duration: "PT1S" } }] }),
      }),
    );
  });
  after(async () => server?.destroy());

  it("has the built-in documents, owned by Amazon, with the parameters AWS users pass", async () => {
    const amazon = await names({ Filters: [{ Key: "Owner", Values: ["Amazon"] }] });
    for (const n of REQUIRED) assert.ok(amazon.includes(n), `${n} is built in`);
    assert.ok(amazon.every((n) => n.startsWith("AWS-")));
    const params = async (Name: string) => (await ssm.send(new DescribeDocumentCommand({ Name }))).Document?.Parameters?.map((p) => p.Name);
    assert.deepEqual(await params("AWS-RunShellScript"), ["commands", "workingDirectory", "executionTimeout"]);
    assert.deepEqual(await params("AWS-RunPowerShellScript"), ["commands", "workingDirectory", "executionTimeout"]);
    assert.ok((await params("AWS-RunPatchBaseline"))?.includes("Operation"));
    assert.ok((await params("AWS-RunPatchBaseline"))?.includes("RebootOption"));
    assert.deepEqual(await params("AWS-StartPortForwardingSession"), ["portNumber", "localPortNumber"]);
    assert.deepEqual((await params("AWS-StartPortForwardingSessionToRemoteHost"))?.sort(), ["host", "localPortNumber", "portNumber"]);
    assert.deepEqual(await params("AWS-StartSSHSession"), ["portNumber"]);
    assert.deepEqual(await params("AWS-StartInteractiveCommand"), ["command"]);
    assert.ok((await params("AWS-ConfigureAWSPackage"))?.includes("name"));
    const shellDoc = (await ssm.send(new DescribeDocumentCommand({ Name: "AWS-RunShellScript" }))).Document;
    assert.equal(shellDoc?.Owner, "Amazon");
    assert.deepEqual(shellDoc?.PlatformTypes, ["Linux", "MacOS"]);
    assert.equal(shellDoc?.DocumentType, "Command");
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: "AWS-RunPowerShellScript" }))).Document?.PlatformTypes?.includes("Windows"), true);
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: "AWS-GatherSoftwareInventory" }))).Document?.DocumentType, "Policy");
    assert.equal((await ssm.send(new DescribeDocumentCommand({ Name: "AWS-StartSSHSession" }))).Document?.DocumentType, "Session");
    const content = JSON.parse(String((await ssm.send(new GetDocumentCommand({ Name: "AWS-RunShellScript" }))).Content));
    assert.equal(content.runtimeConfig["aws:runShellScript"].properties[0].runCommand, "{{ commands }}");
    const yaml = await ssm.send(new GetDocumentCommand({ Name: "AWS-RunPatchBaseline", DocumentFormat: "JSON" }));
    assert.ok(JSON.parse(String(yaml.Content)).mainSteps.length >= 2);
    assert.deepEqual(
      (await ssm.send(new ListDocumentVersionsCommand({ Name: "AWS-RunShellScript" }))).DocumentVersions?.map((v) => v.DocumentVersion),
      ["1"],
    );

    const cli = await awsCli(server, ["ssm", "list-documents", "--filters", "Key=Owner,Values=Amazon", "Key=DocumentType,Values=Session"]);
    assert.equal(cli.code, 0, cli.stderr);
    const sessions = cli.json.DocumentIdentifiers.map((d: { Name: string; Owner: string }) => `${d.Owner}:${d.Name}`);
    assert.ok(sessions.includes("Amazon:AWS-StartPortForwardingSession"));
    assert.ok(!sessions.some((s: string) => s.includes("web-")));
  });

  it("keeps the built-ins read-only", async () => {
    await assert.rejects(ssm.send(new UpdateDocumentCommand({ Name: "AWS-RunShellScript", Content: shell("x") })), { name: "InvalidDocumentOperation" });
    await assert.rejects(ssm.send(new DeleteDocumentCommand({ Name: "AWS-RunShellScript" })), { name: "InvalidDocumentOperation" });
    await assert.rejects(ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: "AWS-RunShellScript", DocumentVersion: "1" })), { name: "InvalidDocument" });
    await assert.rejects(ssm.send(new ModifyDocumentPermissionCommand({ Name: "AWS-RunShellScript", PermissionType: "Share", AccountIdsToAdd: ["all"] })), {
      name: "InvalidDocument",
    });
    await assert.rejects(ssm.send(new GetDocumentCommand({ Name: "AWS-RunShellScript", DocumentVersion: "2" })), { name: "InvalidDocumentVersion" });
  });

  it("has SSM-SessionManagerRunShell in every account, replaced by the account's own when it creates or updates one", async () => {
    const d = (await ssm.send(new DescribeDocumentCommand({ Name: "SSM-SessionManagerRunShell" }))).Document;
    assert.equal(d?.Owner, account);
    assert.equal(d?.DocumentType, "Session");
    const prefs = JSON.parse(String((await ssm.send(new GetDocumentCommand({ Name: "SSM-SessionManagerRunShell" }))).Content));
    assert.equal(prefs.sessionType, "Standard_Stream");
    assert.equal(prefs.inputs.idleSessionTimeout, "20");
    assert.ok((await names({ Filters: [{ Key: "Owner", Values: ["Self"] }] })).includes("SSM-SessionManagerRunShell"));
    assert.ok(!(await names({ Filters: [{ Key: "Owner", Values: ["Amazon"] }] })).includes("SSM-SessionManagerRunShell"));

    const mine = JSON.stringify({
      schemaVersion: "1.0",
      description: "our preferences",
      sessionType: "Standard_Stream",
      inputs: { idleSessionTimeout: "45", runAsEnabled: false },
    });
    const up = await ssm.send(new UpdateDocumentCommand({ Name: "SSM-SessionManagerRunShell", Content: mine, DocumentVersion: "$LATEST" }));
    assert.equal(up.DocumentDescription?.DocumentVersion, "1");
    assert.equal(JSON.parse(String((await ssm.send(new GetDocumentCommand({ Name: "SSM-SessionManagerRunShell" }))).Content)).inputs.idleSessionTimeout, "45");
    const again = await ssm.send(new UpdateDocumentCommand({ Name: "SSM-SessionManagerRunShell", Content: mine.replace("45", "30") }));
    assert.equal(again.DocumentDescription?.DocumentVersion, "2");

    // Another account creates its own with CreateDocument; the reserved-prefix rule does not apply.
    const other = await createUser(server, "dora", [allowAll], { accountId: "444444444444" });
    const asOther = server.ssm(other);
    assert.equal((await asOther.send(new DescribeDocumentCommand({ Name: "SSM-SessionManagerRunShell" }))).Document?.Owner, "444444444444");
    await asOther.send(new CreateDocumentCommand({ Name: "SSM-SessionManagerRunShell", DocumentType: "Session", Content: mine.replace("45", "15") }));
    assert.equal(
      JSON.parse(String((await asOther.send(new GetDocumentCommand({ Name: "SSM-SessionManagerRunShell" }))).Content)).inputs.idleSessionTimeout,
      "15",
    );
    assert.equal(JSON.parse(String((await ssm.send(new GetDocumentCommand({ Name: "SSM-SessionManagerRunShell" }))).Content)).inputs.idleSessionTimeout, "45");
  });

  it("filters by Owner, DocumentType, PlatformTypes, Name prefix, tags, SearchKeyword and TargetType", async () => {
    assert.deepEqual(
      (
        await names({
          Filters: [
            { Key: "Owner", Values: ["Self"] },
            { Key: "Name", Values: ["web-"] },
          ],
        })
      ).sort(),
      ["web-deploy", "web-restart"],
    );
    assert.deepEqual(
      await names({
        Filters: [
          { Key: "Owner", Values: ["Self"] },
          { Key: "DocumentType", Values: ["Automation"] },
        ],
      }),
      ["db-runbook"],
    );
    const windows = await names({ Filters: [{ Key: "PlatformTypes", Values: ["Windows"] }] });
    assert.ok(windows.includes("db-backup") && windows.includes("AWS-RunPowerShellScript"));
    assert.ok(!windows.includes("web-deploy") && !windows.includes("AWS-RunShellScript"));
    assert.deepEqual((await names({ Filters: [{ Key: "tag:team", Values: ["web"] }] })).sort(), ["web-deploy", "web-restart"]);
    assert.deepEqual(await names({ Filters: [{ Key: "tag:tier", Values: [] }] }), ["web-deploy"]);
    assert.deepEqual(
      await names({
        Filters: [
          { Key: "tag:team", Values: ["web", "db"] },
          { Key: "tag:tier", Values: ["1"] },
        ],
      }),
      ["web-deploy"],
    );
    assert.deepEqual(await names({ Filters: [{ Key: "SearchKeyword", Values: ["backup"] }] }), ["db-backup"]);
    assert.deepEqual(await names({ Filters: [{ Key: "TargetType", Values: ["/AWS::EC2::Instance"] }] }), ["web-restart"]);
    // The older DocumentFilterList form.
    assert.deepEqual(
      (
        await names({
          DocumentFilterList: [
            { key: "Owner", value: "Self" },
            { key: "PlatformTypes", value: "Windows" },
          ],
        })
      ).sort(),
      ["SSM-SessionManagerRunShell", "db-backup", "db-runbook"],
    );
    assert.deepEqual(await names({ DocumentFilterList: [{ key: "Name", value: "db-b" }] }), ["db-backup"]);
    const all = await names({ Filters: [{ Key: "Owner", Values: ["All"] }] });
    assert.ok(all.includes("AWS-RunShellScript") && all.includes("web-deploy"));
    const listed = (await ssm.send(new ListDocumentsCommand({ Filters: [{ Key: "Name", Values: ["web-deploy"] }] }))).DocumentIdentifiers?.[0];
    assert.equal(listed?.Owner, account);
    assert.equal(listed?.SchemaVersion, "2.2");
    assert.equal(listed?.DocumentVersion, "1");
    assert.equal(listed?.DocumentFormat, "JSON");
    assert.deepEqual(listed?.Tags, [
      { Key: "team", Value: "web" },
      { Key: "tier", Value: "1" },
    ]);
    await assert.rejects(ssm.send(new ListDocumentsCommand({ Filters: [{ Key: "Colour", Values: ["red"] }] })), { name: "InvalidFilterKey" });
    await assert.rejects(ssm.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Self", "Amazon"] }] })), {
      name: "ValidationException",
      message: /one Owner/,
    });
    await assert.rejects(ssm.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Someone"] }] })), { name: "ValidationException" });
  });

  it("pages through ListDocuments with stable, opaque tokens", async () => {
    const everything = await names({});
    const seen: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ssm.send(new ListDocumentsCommand({ MaxResults: 3, NextToken }));
      assert.ok((page.DocumentIdentifiers?.length ?? 0) <= 3);
      seen.push(...(page.DocumentIdentifiers ?? []).map((d) => String(d.Name)));
      NextToken = page.NextToken;
      pages++;
    } while (NextToken);
    assert.deepEqual(seen, everything);
    assert.equal(new Set(seen).size, seen.length);
    assert.ok(pages >= 5);
    await assert.rejects(ssm.send(new ListDocumentsCommand({ NextToken: "bm90LWEtdG9rZW4" })), { name: "InvalidNextToken" });
    const first = await ssm.send(new ListDocumentsCommand({ MaxResults: 2 }));
    await assert.rejects(ssm.send(new ListDocumentsCommand({ MaxResults: 2, NextToken: first.NextToken, Filters: [{ Key: "Owner", Values: ["Self"] }] })), {
      name: "InvalidNextToken",
    });
    const cli = await awsCli(server, ["ssm", "list-documents", "--filters", "Key=Owner,Values=Self", "--max-items", "2"]);
    assert.equal(cli.json.DocumentIdentifiers.length, 2);
    assert.ok(cli.json.NextToken);
  });

  it("authorizes on document ARNs (built-ins without an account) and on resource tags", async () => {
    const reader = await createUser(server, "reader", [
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["ssm:DescribeDocument", "ssm:GetDocument"], Resource: "arn:aws:ssm:*::document/AWS-*" },
          {
            Effect: "Allow",
            Action: "ssm:GetDocument",
            Resource: "arn:aws:ssm:*:*:document/*",
            Condition: { StringEquals: { "ssm:resourceTag/team": "web" } },
          },
          { Effect: "Allow", Action: "ssm:ListDocuments", Resource: "*" },
        ],
      },
    ]);
    const asReader = server.ssm(reader);
    assert.equal((await asReader.send(new DescribeDocumentCommand({ Name: "AWS-RunShellScript" }))).Document?.Owner, "Amazon");
    await assert.rejects(asReader.send(new DescribeDocumentCommand({ Name: "web-deploy" })), {
      name: "AccessDeniedException",
      message: /document\/web-deploy/,
    });
    assert.ok((await asReader.send(new GetDocumentCommand({ Name: "web-deploy" }))).Content);
    await assert.rejects(asReader.send(new GetDocumentCommand({ Name: "db-backup" })), { name: "AccessDeniedException" });
    await assert.rejects(asReader.send(new CreateDocumentCommand({ Name: "nope", Content: shell("nope") })), {
      name: "AccessDeniedException",
      message: new RegExp(`arn:aws:ssm:us-east-1:${account}:document/nope`),
    });
    assert.ok((await names({}, asReader)).includes("web-deploy"));

    const tagger = await createUser(server, "tagger", [
      {
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "ssm:CreateDocument", Resource: "*", Condition: { StringEquals: { "aws:RequestTag/team": "web" } } }],
      },
    ]);
    const asTagger = server.ssm(tagger);
    await assert.rejects(asTagger.send(new CreateDocumentCommand({ Name: "untagged", Content: shell("u") })), { name: "AccessDeniedException" });
    await assert.rejects(asTagger.send(new CreateDocumentCommand({ Name: "wrong-team", Content: shell("w"), Tags: [{ Key: "team", Value: "db" }] })), {
      name: "AccessDeniedException",
    });
    const made = await asTagger.send(new CreateDocumentCommand({ Name: "web-tagged", Content: shell("t"), Tags: [{ Key: "team", Value: "web" }] }));
    assert.equal(made.DocumentDescription?.Name, "web-tagged");
  });
});

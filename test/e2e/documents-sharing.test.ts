import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateDocumentCommand,
  DeleteDocumentCommand,
  DescribeDocumentCommand,
  DescribeDocumentPermissionCommand,
  GetDocumentCommand,
  ListDocumentsCommand,
  ListDocumentVersionsCommand,
  ModifyDocumentPermissionCommand,
  SendCommandCommand,
  type SSMClient,
  UpdateDocumentCommand,
} from "@aws-sdk/client-ssm";
import { allowAll, awsCli, createUser, defaultAccountId, startServer, type TestServer, type TestUser } from "../harness/index.js";

const doc = (text: string) =>
  JSON.stringify({
    schemaVersion: "2.2",
    description: text,
    parameters: { message: { type: "String", default: text } },
    mainSteps: [{ action: "aws:runShellScript", name: "say", inputs: { runCommand: ["echo {{ message }}"] } }],
  });

describe("Documents: sharing with other accounts and the public", () => {
  let server: TestServer;
  let owner: SSMClient;
  let ownerAccount: string;
  let bob: TestUser;
  let carol: TestUser;
  let asBob: SSMClient;
  let asCarol: SSMClient;
  let arn: string;
  const share = (Name: string, add: string[], remove: string[] = [], SharedDocumentVersion?: string) =>
    owner.send(new ModifyDocumentPermissionCommand({ Name, PermissionType: "Share", AccountIdsToAdd: add, AccountIdsToRemove: remove, SharedDocumentVersion }));
  const permissions = async (Name: string) =>
    (await owner.send(new DescribeDocumentPermissionCommand({ Name, PermissionType: "Share" }))).AccountSharingInfoList;

  before(async () => {
    server = await startServer();
    owner = server.ssm();
    ownerAccount = await defaultAccountId(server);
    bob = await createUser(server, "bob", [allowAll], { accountId: "222222222222" });
    carol = await createUser(server, "carol", [allowAll], { accountId: "333333333333" });
    asBob = server.ssm(bob);
    asCarol = server.ssm(carol);
    await owner.send(new CreateDocumentCommand({ Name: "TeamRunbook", Content: doc("v1"), DocumentType: "Command" }));
    await owner.send(new UpdateDocumentCommand({ Name: "TeamRunbook", Content: doc("v2") }));
    arn = `arn:aws:ssm:us-east-1:${ownerAccount}:document/TeamRunbook`;
  });
  after(async () => server?.destroy());

  it("is private until shared: the other account can't see it by name or ARN", async () => {
    await assert.rejects(asBob.send(new DescribeDocumentCommand({ Name: arn })), { name: "InvalidDocument" });
    await assert.rejects(asBob.send(new DescribeDocumentCommand({ Name: "TeamRunbook" })), { name: "InvalidDocument" });
    const listed = await asBob.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Private"] }] }));
    assert.deepEqual(listed.DocumentIdentifiers, []);
  });

  it("shares the default version with an account: visible by ARN, listed as Private, runnable", async () => {
    await share("TeamRunbook", [bob.accountId]);
    assert.deepEqual(await permissions("TeamRunbook"), [{ AccountId: bob.accountId, SharedDocumentVersion: "$DEFAULT" }]);
    const d = (await asBob.send(new DescribeDocumentCommand({ Name: arn }))).Document;
    assert.equal(d?.Owner, ownerAccount);
    assert.equal(d?.Name, "TeamRunbook");
    assert.equal(d?.DocumentVersion, "1");
    const got = await asBob.send(new GetDocumentCommand({ Name: arn }));
    assert.match(String(got.Content), /"v1"/);
    await assert.rejects(asBob.send(new GetDocumentCommand({ Name: arn, DocumentVersion: "2" })), { name: "InvalidDocumentVersion", message: /\$DEFAULT/ });
    const versions = await asBob.send(new ListDocumentVersionsCommand({ Name: arn }));
    assert.deepEqual(
      versions.DocumentVersions?.map((v) => v.DocumentVersion),
      ["1"],
    );
    // Still not by its bare name: a shared document is named by its ARN.
    await assert.rejects(asBob.send(new DescribeDocumentCommand({ Name: "TeamRunbook" })), { name: "InvalidDocument" });

    const priv = await asBob.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Private"] }] }));
    assert.deepEqual(
      priv.DocumentIdentifiers?.map((i) => [i.Name, i.Owner]),
      [[arn, ownerAccount]],
    );
    const all = await asBob.send(new ListDocumentsCommand({}));
    assert.ok(all.DocumentIdentifiers?.some((i) => i.Name === arn));
    assert.ok(
      !(await asBob.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Self"] }] }))).DocumentIdentifiers?.some((i) => i.Name === arn),
    );
    await assert.rejects(asCarol.send(new DescribeDocumentCommand({ Name: arn })), { name: "InvalidDocument" });

    // Runnable from the other account: Run Command resolves it by ARN with its parameters.
    const sent = await asBob.send(new SendCommandCommand({ DocumentName: arn, Targets: [{ Key: "tag:Role", Values: ["nobody"] }] }));
    assert.equal(sent.Command?.DocumentName, arn);
    assert.equal(sent.Command?.DocumentVersion, "1");
  });

  it("shares all versions, or the latest, as SharedDocumentVersion says", async () => {
    await share("TeamRunbook", [bob.accountId], [], "$ALL");
    assert.deepEqual(await permissions("TeamRunbook"), [{ AccountId: bob.accountId, SharedDocumentVersion: "$ALL" }]);
    assert.match(String((await asBob.send(new GetDocumentCommand({ Name: arn, DocumentVersion: "2" }))).Content), /"v2"/);
    assert.equal((await asBob.send(new GetDocumentCommand({ Name: arn }))).DocumentVersion, "1");
    await share("TeamRunbook", [bob.accountId], [], "$LATEST");
    assert.equal((await asBob.send(new GetDocumentCommand({ Name: arn }))).DocumentVersion, "2");
    await assert.rejects(asBob.send(new GetDocumentCommand({ Name: arn, DocumentVersion: "1" })), { name: "InvalidDocumentVersion" });
  });

  it("leaves changes to the owner: the other account can't update, share or delete it", async () => {
    await assert.rejects(asBob.send(new UpdateDocumentCommand({ Name: "TeamRunbook", Content: doc("mine") })), { name: "InvalidDocument" });
    await assert.rejects(
      asBob.send(new ModifyDocumentPermissionCommand({ Name: "TeamRunbook", PermissionType: "Share", AccountIdsToAdd: [carol.accountId] })),
      {
        name: "InvalidDocument",
      },
    );
    await assert.rejects(asBob.send(new DeleteDocumentCommand({ Name: "TeamRunbook" })), { name: "InvalidDocument" });
    await assert.rejects(asBob.send(new DescribeDocumentPermissionCommand({ Name: "TeamRunbook", PermissionType: "Share" })), { name: "InvalidDocument" });
  });

  it("makes a document public with All, for every account (Owner=Public)", async () => {
    await owner.send(new CreateDocumentCommand({ Name: "Everyone", Content: doc("public") }));
    await share("Everyone", ["all"]);
    assert.deepEqual(await permissions("Everyone"), [{ AccountId: "all", SharedDocumentVersion: "$DEFAULT" }]);
    const publicArn = `arn:aws:ssm:us-east-1:${ownerAccount}:document/Everyone`;
    assert.equal((await asCarol.send(new DescribeDocumentCommand({ Name: publicArn }))).Document?.Owner, ownerAccount);
    const pub = await asCarol.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Public"] }] }));
    assert.deepEqual(
      pub.DocumentIdentifiers?.map((i) => i.Name),
      [publicArn],
    );
    const mine = await owner.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Public"] }] }));
    assert.deepEqual(
      mine.DocumentIdentifiers?.map((i) => i.Name),
      ["Everyone"],
    );
    assert.deepEqual((await asCarol.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: ["Private"] }] }))).DocumentIdentifiers, []);
    await share("Everyone", [], ["ALL"]);
    await assert.rejects(asCarol.send(new DescribeDocumentCommand({ Name: publicArn })), { name: "InvalidDocument" });
    // All is public or nothing: AWS refuses it mixed with account ids in either list.
    for (const lists of [{ AccountIdsToAdd: ["all", bob.accountId] }, { AccountIdsToRemove: [bob.accountId, "All"] }]) {
      await assert.rejects(owner.send(new ModifyDocumentPermissionCommand({ Name: "Everyone", PermissionType: "Share", ...lists })), {
        name: "DocumentPermissionLimit",
        message: "Accounts can either be all or a group of AWS accounts",
      });
    }
    assert.deepEqual(await permissions("Everyone"), []);
  });

  it("limits sharing to 20 accounts, removes before adding, and refuses AWS-owned documents", async () => {
    await owner.send(new CreateDocumentCommand({ Name: "Crowd", Content: doc("crowd") }));
    const accounts = Array.from({ length: 20 }, (_, i) => String(100000000000 + i));
    await share("Crowd", accounts);
    assert.equal((await permissions("Crowd"))?.length, 20);
    await assert.rejects(share("Crowd", ["999999999999"]), { name: "DocumentPermissionLimit", message: /at most 20/ });
    await share("Crowd", ["all"]);
    assert.equal((await permissions("Crowd"))?.length, 21, "public sharing does not count against the 20");
    await share("Crowd", ["999999999999"], ["999999999999", accounts[0]]);
    const after = (await permissions("Crowd"))?.map((p) => p.AccountId) ?? [];
    assert.ok(!after.includes("999999999999") && !after.includes(accounts[0]));
    const page = await owner.send(new DescribeDocumentPermissionCommand({ Name: "Crowd", PermissionType: "Share", MaxResults: 5 }));
    assert.equal(page.AccountIds?.length, 5);
    assert.ok(page.NextToken);
    await assert.rejects(share("AWS-RunShellScript", [bob.accountId]), { name: "InvalidDocument", message: /AWS-owned/ });
    await assert.rejects(share("NoSuchDoc", [bob.accountId]), { name: "InvalidDocument" });
    await assert.rejects(owner.send(new ModifyDocumentPermissionCommand({ Name: "Crowd", PermissionType: "Share" })), { name: "InvalidPermissionType" });
    await assert.rejects(share("Crowd", ["12345"]), { name: "ValidationException" });
  });

  it("works through the aws CLI, and stops sharing on removal and on deletion", async () => {
    const r = await awsCli(server, [
      "ssm",
      "modify-document-permission",
      "--name",
      "TeamRunbook",
      "--permission-type",
      "Share",
      "--account-ids-to-add",
      carol.accountId,
    ]);
    assert.equal(r.code, 0, r.stderr);
    const listed = await awsCli(server, ["ssm", "list-documents", "--filters", "Key=Owner,Values=Private"], { creds: carol });
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      listed.json.DocumentIdentifiers.map((i: { Name: string }) => i.Name),
      [arn],
    );
    const desc = await awsCli(server, ["ssm", "describe-document-permission", "--name", "TeamRunbook", "--permission-type", "Share"]);
    assert.deepEqual(desc.json.AccountIds.sort(), [bob.accountId, carol.accountId].sort());
    await share("TeamRunbook", [], [carol.accountId]);
    await assert.rejects(asCarol.send(new GetDocumentCommand({ Name: arn })), { name: "InvalidDocument" });
    await owner.send(new DeleteDocumentCommand({ Name: "TeamRunbook" }));
    await assert.rejects(asBob.send(new GetDocumentCommand({ Name: arn })), { name: "InvalidDocument" });
    await owner.send(new CreateDocumentCommand({ Name: "TeamRunbook", Content: doc("again") }));
    await assert.rejects(asBob.send(new GetDocumentCommand({ Name: arn })), { name: "InvalidDocument" }, "a new document of the same name is not shared");
  });
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateDocumentCommand, DescribeDocumentCommand, GetDocumentCommand, UpdateDocumentCommand } from "@aws-sdk/client-ssm";
import { awsCli, startServer, type TestServer } from "../harness/index.js";

const AUTO_APPROVAL = `permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource)
when { resource.hasTag("Environment") && resource.getTag("Environment") == "Dev" };`;

const DENY_ACCESS = `forbid (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource)
when { resource.hasTag("Environment") && resource.getTag("Environment") == "Production" };`;

/** Line 3 ends in `&&` with nothing after it: Cedar stops at the `}` of line 4, column 1. */
const BROKEN = `permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource)
when {
  resource.hasTag("Environment") &&
};`;

/** Expects the call to fail with AWS's error `name` and a message matching `message`. */
async function rejects(call: Promise<unknown>, name: string, message: RegExp): Promise<void> {
  await assert.rejects(call, (e: Error) => {
    assert.equal(e.name, name, e.message);
    assert.match(e.message, message);
    return true;
  });
}

describe("just-in-time node access: approval policies are Cedar documents, checked by cedar-wasm", () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startServer();
    dir = mkdtempSync(join(tmpdir(), "openssm-jit-policies-"));
  });
  after(async () => {
    await server?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a Cedar policy that does not parse (aws CLI), naming the line and column, and creates nothing", async () => {
    const file = join(dir, "broken.cedar");
    writeFileSync(file, BROKEN);
    const r = await awsCli(server, [
      "ssm",
      "create-document",
      "--name",
      "SSM-JustInTimeAccessAutoApprovalPolicy",
      "--document-type",
      "AutoApprovalPolicy",
      "--content",
      `file://${file}`,
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /InvalidDocumentContent/);
    assert.match(r.stderr, /does not parse at line 4, column 1/);
    await assert.rejects(server.ssm().send(new DescribeDocumentCommand({ Name: "SSM-JustInTimeAccessAutoApprovalPolicy" })), { name: "InvalidDocument" });
  });

  it("refuses a policy set that mixes permit and forbid, empty content and a JSON format", async () => {
    const ssm = server.ssm();
    await rejects(
      ssm.send(new CreateDocumentCommand({ Name: "mixed-policy", DocumentType: "AutoApprovalPolicy", Content: `${AUTO_APPROVAL}\n${DENY_ACCESS}` })),
      "InvalidDocumentContent",
      /permit statements only/,
    );
    await rejects(
      ssm.send(new CreateDocumentCommand({ Name: "comment-only", DocumentType: "AutoApprovalPolicy", Content: "// nothing yet\n" })),
      "InvalidDocumentContent",
      /no Cedar statement/,
    );
    await rejects(
      ssm.send(new CreateDocumentCommand({ Name: "json-policy", DocumentType: "AutoApprovalPolicy", Content: AUTO_APPROVAL, DocumentFormat: "JSON" })),
      "InvalidDocumentContent",
      /DocumentFormat TEXT/,
    );
    for (const name of ["mixed-policy", "comment-only", "json-policy"]) {
      await assert.rejects(ssm.send(new DescribeDocumentCommand({ Name: name })), { name: "InvalidDocument" });
    }
  });

  it("stores valid policies as written (TEXT) and checks an update as a new document", async () => {
    const ssm = server.ssm();
    const created = await ssm.send(
      new CreateDocumentCommand({ Name: "SSM-JustInTimeAccessAutoApprovalPolicy", DocumentType: "AutoApprovalPolicy", Content: AUTO_APPROVAL }),
    );
    assert.equal(created.DocumentDescription?.DocumentFormat, "TEXT");
    assert.equal(created.DocumentDescription?.DocumentType, "AutoApprovalPolicy");
    await ssm.send(new CreateDocumentCommand({ Name: "SSM-JustInTimeAccessDenyAccessOrgPolicy", DocumentType: "AutoApprovalPolicy", Content: DENY_ACCESS }));
    const got = await ssm.send(new GetDocumentCommand({ Name: "SSM-JustInTimeAccessAutoApprovalPolicy" }));
    assert.equal(got.Content, AUTO_APPROVAL);
    await rejects(
      ssm.send(new UpdateDocumentCommand({ Name: "SSM-JustInTimeAccessAutoApprovalPolicy", Content: BROKEN, DocumentVersion: "$LATEST" })),
      "InvalidDocumentContent",
      /line 4, column 1/,
    );
    const updated = await ssm.send(
      new UpdateDocumentCommand({
        Name: "SSM-JustInTimeAccessAutoApprovalPolicy",
        Content: AUTO_APPROVAL.replace('"Dev"', '"Test"'),
        DocumentVersion: "$LATEST",
      }),
    );
    assert.equal(updated.DocumentDescription?.DocumentVersion, "2");
  });
});

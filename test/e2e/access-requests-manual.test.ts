import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateDocumentCommand,
  DescribeOpsItemsCommand,
  GetAccessTokenCommand,
  GetAutomationExecutionCommand,
  GetOpsItemCommand,
  ListTagsForResourceCommand,
  SendAutomationSignalCommand,
  type SSMClient,
  StartAccessRequestCommand,
  StartSessionCommand,
  UpdateDocumentCommand,
} from "@aws-sdk/client-ssm";
import { type FakeNode, registerFakeNode } from "../harness/fake-node.js";
import { type Credentials, createUser, storedAudit, storedEvents, eventually, startServer, type TestServer, type TestUser } from "../harness/index.js";
import { type AgentNode, cliEnv, cliInPty, sessionIdOf, startAgent, within } from "./sessions-helpers.js";

/** Requesters may only ask for access (and look at their requests); approvers may only decide. */
const requesterPolicy = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["ssm:StartAccessRequest", "ssm:GetAccessToken", "ssm:GetOpsItem", "ssm:DescribeOpsItems", "ssm:SendAutomationSignal"],
      Resource: "*",
    },
  ],
};
const approverPolicy = {
  Version: "2012-10-17",
  Statement: [
    { Effect: "Allow", Action: ["ssm:GetOpsItem", "ssm:DescribeOpsItems", "ssm:GetAutomationExecution", "ssm:StartAccessRequest"], Resource: "*" },
    {
      Effect: "Allow",
      Action: ["ssm:SendAutomationSignal"],
      Resource: "*",
      Condition: { StringEquals: { "aws:ResourceTag/SystemsManagerJustInTimeNodeAccessManaged": "true" } },
    },
  ],
};

/** Payments nodes: two levels, alice (or carol, who can't approve her own requests) then bob; 2 hours of access. */
const PAYMENTS = {
  schemaVersion: "1.0",
  description: "Payments nodes need the team lead, then security",
  accessDurationHours: 2,
  targets: [{ Key: "tag:Team", Values: ["Payments"] }],
  approvalLevels: [
    {
      approvers: [
        { approver: "alice", type: "IamUser" },
        { approver: "carol", type: "IamUser" },
      ],
      minRequiredApprovals: 1,
    },
    { approvers: [{ approver: "bob", type: "IamUser" }], minRequiredApprovals: 1 },
  ],
};

/** Every other node: erin decides. */
const DEFAULT = {
  schemaVersion: "1.0",
  accessDurationHours: 1,
  targets: "AllNodes",
  approvalLevels: [{ approvers: ["erin"], minRequiredApprovals: 1 }],
};

/** Nodes with a Tier tag (any value): bob decides. */
const DATABASES = `schemaVersion: "1.0"
accessDurationHours: 8
targets:
  - Key: tag-key
    Values: [Tier]
approvalLevels:
  - approvers:
      - approver: bob
        type: IamUser
`;

const AUTO_APPROVAL = `permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource)
when { resource.hasTag("Sandbox") && resource.getTag("Sandbox") == "yes" };`;

const DENY_PAYMENTS = `forbid (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource)
when { resource.hasTag("Team") && resource.getTag("Team") == "Payments" };`;

async function rejects(call: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(call, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

const request = (ssm: SSMClient, node: string, reason: string) =>
  ssm.send(new StartAccessRequestCommand({ Reason: reason, Targets: [{ Key: "InstanceIds", Values: [node] }] }));

const createPolicy = (server: TestServer, name: string, content: unknown) =>
  server.ssm().send(
    new CreateDocumentCommand({
      Name: name,
      DocumentType: "ManualApprovalPolicy",
      Content: typeof content === "string" ? content : JSON.stringify(content),
      ...(typeof content === "string" ? { DocumentFormat: "YAML" } : {}),
    }),
  );

async function detailsOf(server: TestServer, id: string): Promise<Record<string, unknown>> {
  const item = (await server.ssm().send(new GetOpsItemCommand({ OpsItemId: id }))).OpsItem;
  return JSON.parse(String(item?.OperationalData?.["/openssm/accessrequest"]?.Value)) as Record<string, unknown>;
}

describe("just-in-time node access: manual approval policies, approved level by level through automation signals", () => {
  let server: TestServer;
  let payments: AgentNode;
  let both: FakeNode;
  let plain: FakeNode;
  let sandbox: FakeNode;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;
  let erin: TestUser;
  let requestId = "";
  let executionId = "";
  let token: Credentials | undefined;

  before(async () => {
    server = await startServer({ testClock: true });
    payments = await startAgent(server, [{ Key: "Team", Value: "Payments" }]);
    both = await registerFakeNode(server, { Team: "Payments", Tier: "db" });
    plain = await registerFakeNode(server, { Owner: "nobody" });
    sandbox = await registerFakeNode(server, { Sandbox: "yes" });
    alice = await createUser(server, "alice", [approverPolicy]);
    bob = await createUser(server, "bob", [approverPolicy]);
    carol = await createUser(server, "carol", [requesterPolicy]);
    erin = await createUser(server, "erin", [approverPolicy]);
  });
  after(async () => {
    await payments?.stop();
    await server?.destroy();
  });

  it("refuses bad manual approval policies at CreateDocument, naming the problem", async () => {
    await rejects(createPolicy(server, "Broken", "{ not json"), "InvalidDocumentContent");
    const sixLevels = { ...PAYMENTS, approvalLevels: Array.from({ length: 6 }, () => ({ approvers: ["alice"], minRequiredApprovals: 1 })) };
    await rejects(createPolicy(server, "TooManyLevels", sixLevels), "InvalidDocumentContent", /6 levels; AWS allows at most 5/);
    const ghost = { ...PAYMENTS, approvalLevels: [{ approvers: [{ approver: "nobody", type: "IamUser" }], minRequiredApprovals: 1 }] };
    await rejects(createPolicy(server, "GhostApprover", ghost), "InvalidDocumentContent", /user nobody is not an IAM user or role/);
    await rejects(createPolicy(server, "TooLong", { ...PAYMENTS, accessDurationHours: 400 }), "InvalidDocumentContent", /from 1 to 336/);
    const tooFew = { ...PAYMENTS, approvalLevels: [{ approvers: ["alice"], minRequiredApprovals: 2 }] };
    await rejects(createPolicy(server, "TooFew", tooFew), "InvalidDocumentContent", /needs 2 approvals but names only 1/);
    await rejects(createPolicy(server, "NoTargets", { ...PAYMENTS, targets: undefined }), "InvalidDocumentContent", /targets is required/);
  });

  it("stores valid policies, and lets a tag (or all nodes) be targeted by one policy only", async () => {
    const created = await createPolicy(server, "PaymentsAccess", PAYMENTS);
    assert.equal(created.DocumentDescription?.DocumentType, "ManualApprovalPolicy");
    await createPolicy(server, "DefaultAccess", DEFAULT);
    await createPolicy(server, "DatabaseAccess", DATABASES);
    await rejects(
      createPolicy(server, "PaymentsAgain", { ...DEFAULT, targets: [{ Key: "tag:Team", Values: ["Payments"] }] }),
      "InvalidDocumentContent",
      /tag Team=Payments is already targeted by the manual approval policy PaymentsAccess/,
    );
    await rejects(createPolicy(server, "DefaultAgain", DEFAULT), "InvalidDocumentContent", /DefaultAccess already targets all nodes/);
    // UpdateDocument checks the new version the same way.
    await rejects(
      server.ssm().send(
        new UpdateDocumentCommand({
          Name: "DefaultAccess",
          DocumentVersion: "$LATEST",
          Content: JSON.stringify({ ...DEFAULT, approvalLevels: [{ approvers: ["mallory"] }] }),
        }),
      ),
      "InvalidDocumentContent",
      /user mallory is not an IAM user or role/,
    );
    const ok = await server
      .ssm()
      .send(new UpdateDocumentCommand({ Name: "DefaultAccess", DocumentVersion: "$LATEST", Content: JSON.stringify({ ...DEFAULT, description: "v2" }) }));
    assert.equal(ok.DocumentDescription?.DocumentVersion, "2");
  });

  it("a covered request waits: Pending OpsItem, a tagged AccessRequest automation execution, no session, no token", async () => {
    await rejects(server.ssm(carol).send(new StartSessionCommand({ Target: payments.instanceId })), "AccessDeniedException");
    requestId = (await request(server.ssm(carol), payments.instanceId, "incident 7")).AccessRequestId ?? "";
    assert.match(requestId, /^oi-[0-9a-f]{12}$/);
    const item = (await server.ssm(carol).send(new GetOpsItemCommand({ OpsItemId: requestId }))).OpsItem;
    assert.equal(item?.OpsItemType, "/aws/accessrequest");
    assert.equal(item?.Status, "Pending");
    executionId = String(item?.OperationalData?.["/openssm/accessrequest/execution"]?.Value);
    const details = await detailsOf(server, requestId);
    assert.equal(details.approvalPolicy, "PaymentsAccess", "the tag-specific policy wins over the all-nodes policy");
    assert.equal(details.automationExecutionId, executionId);
    const tags = await server.ssm().send(new ListTagsForResourceCommand({ ResourceType: "Automation", ResourceId: executionId }));
    assert.deepEqual(tags.TagList, [{ Key: "SystemsManagerJustInTimeNodeAccessManaged", Value: "true" }]);
    const exec = await eventually(
      async () => {
        const e = (await server.ssm(alice).send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId }))).AutomationExecution;
        return e?.CurrentStepName === "ApprovalLevel1" && e.AutomationExecutionStatus === "PendingApproval" ? e : undefined;
      },
      { what: "level 1 to wait for approval" },
    );
    assert.equal(exec.AutomationSubtype, "AccessRequest");
    assert.equal(exec.OpsItemId, requestId);
    assert.equal(exec.DocumentName, "PaymentsAccess");
    const pending = await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: requestId }));
    assert.equal(pending.AccessRequestStatus, "Pending");
    assert.equal(pending.Credentials, undefined);
    const listed = await server.ssm(carol).send(
      new DescribeOpsItemsCommand({
        OpsItemFilters: [
          { Key: "OpsItemType", Values: ["/aws/accessrequest"], Operator: "Equal" },
          { Key: "Status", Values: ["Pending"], Operator: "Equal" },
        ],
      }),
    );
    assert.deepEqual(
      listed.OpsItemSummaries?.map((s) => s.OpsItemId),
      [requestId],
    );
  });

  it("refuses self-approval and approvers of another level", async () => {
    await rejects(
      server.ssm(carol).send(new SendAutomationSignalCommand({ AutomationExecutionId: executionId, SignalType: "Approve" })),
      "InvalidAutomationSignalException",
      /is not an approver of step ApprovalLevel1/,
    );
    await rejects(
      server.ssm(bob).send(new SendAutomationSignalCommand({ AutomationExecutionId: executionId, SignalType: "Approve" })),
      "InvalidAutomationSignalException",
      /is not an approver of step ApprovalLevel1/,
    );
    // erin is the only approver of the all-nodes policy: her own request could never be approved by someone else.
    await rejects(request(server.ssm(erin), plain.instanceId, "mine"), "AccessDeniedException", /can't approve their own request/);
  });

  it("level 1 approved: still pending; level 2 approved: the grant starts for the policy's access duration", async () => {
    await server.ssm(alice).send(new SendAutomationSignalCommand({ AutomationExecutionId: executionId, SignalType: "Approve" }));
    await eventually(
      async () => {
        const e = (await server.ssm(bob).send(new GetAutomationExecutionCommand({ AutomationExecutionId: executionId }))).AutomationExecution;
        return e?.CurrentStepName === "ApprovalLevel2" && e.AutomationExecutionStatus === "PendingApproval";
      },
      { what: "level 2 to wait for approval" },
    );
    const still = await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: requestId }));
    assert.equal(still.AccessRequestStatus, "Pending");
    assert.equal(still.Credentials, undefined);
    await rejects(server.ssm(carol).send(new StartSessionCommand({ Target: payments.instanceId })), "AccessDeniedException");

    await server.ssm(bob).send(new SendAutomationSignalCommand({ AutomationExecutionId: executionId, SignalType: "Approve" }));
    const approved = await eventually(
      async () => {
        const r = await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: requestId }));
        return r.AccessRequestStatus === "Approved" ? r : undefined;
      },
      { what: "the request to be approved" },
    );
    const c = approved.Credentials;
    assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken && c.ExpirationTime);
    const twoHours = 2 * 60 * 60 * 1000;
    assert.ok(Math.abs(c.ExpirationTime.getTime() - Date.now() - twoHours) < 5 * 60 * 1000, `expires about two hours from now: ${c.ExpirationTime}`);
    token = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    const item = await eventually(
      async () => {
        const i = (await server.ssm(carol).send(new GetOpsItemCommand({ OpsItemId: requestId }))).OpsItem;
        return i?.Status === "Approved" ? i : undefined;
      },
      { what: "the OpsItem to show the approval" },
    );
    assert.match(String(item.OperationalData?.["/openssm/accessrequest/decision"]?.Value), /^Approved at .*PaymentsAccess/);
    assert.ok(item.OperationalData?.["/openssm/accessrequest/grant-end-time"]?.Value);
  });

  it("the token opens a real shell on the node", async () => {
    assert.ok(token, "the approval test ran first");
    const run = await cliInPty(
      ["session", "start", "--target", payments.instanceId, "--reason", "incident 7", "--ca-file", server.caFile],
      cliEnv(server, token),
    );
    try {
      const sessionId = await sessionIdOf(run);
      assert.match(sessionId, new RegExp(`^carol\\.${requestId}-[0-9a-f]{17}$`));
      run.pty.write("echo MANUAL-$((6*7))\r");
      await run.waitFor("MANUAL-42");
      run.pty.write("exit\r");
      assert.equal(await within(run.exited, "the session to end"), 0);
    } finally {
      run.kill();
    }
  });

  it("refuses the token after the access window (moved clock)", async () => {
    assert.ok(token);
    await server.advanceClock(2 * 60 * 60 + 60);
    await rejects(server.ssm(token).send(new StartSessionCommand({ Target: payments.instanceId })), "ExpiredTokenException");
    const after = await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: requestId }));
    assert.equal(after.AccessRequestStatus, "Expired");
    assert.equal(after.Credentials, undefined);
  });

  it("a rejection leaves no grant (and a deny-access policy rules out auto-approval only, not manual approval)", async () => {
    await server
      .ssm()
      .send(new CreateDocumentCommand({ Name: "SSM-JustInTimeAccessDenyAccessOrgPolicy", DocumentType: "AutoApprovalPolicy", Content: DENY_PAYMENTS }));
    const id = (await request(server.ssm(carol), payments.instanceId, "incident 8")).AccessRequestId ?? "";
    const item = (await server.ssm(carol).send(new GetOpsItemCommand({ OpsItemId: id }))).OpsItem;
    assert.equal(item?.Status, "Pending");
    const exec = String(item?.OperationalData?.["/openssm/accessrequest/execution"]?.Value);
    await eventually(
      async () =>
        (await server.ssm(alice).send(new GetAutomationExecutionCommand({ AutomationExecutionId: exec }))).AutomationExecution?.AutomationExecutionStatus ===
        "PendingApproval",
      { what: "level 1 to wait" },
    );
    await server
      .ssm(alice)
      .send(new SendAutomationSignalCommand({ AutomationExecutionId: exec, SignalType: "Reject", Payload: { Comment: ["not during the freeze"] } }));
    const rejected = await eventually(
      async () => {
        const r = await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: id }));
        return r.AccessRequestStatus === "Rejected" ? r : undefined;
      },
      { what: "the request to be rejected" },
    );
    assert.equal(rejected.Credentials, undefined);
    const shown = await eventually(
      async () => {
        const i = (await server.ssm(carol).send(new GetOpsItemCommand({ OpsItemId: id }))).OpsItem;
        return i?.Status === "Rejected" ? i : undefined;
      },
      { what: "the OpsItem to show the rejection" },
    );
    assert.match(String(shown.OperationalData?.["/openssm/accessrequest/decision"]?.Value), /not during the freeze/);
    await rejects(server.ssm(carol).send(new StartSessionCommand({ Target: payments.instanceId })), "AccessDeniedException");
  });

  it("auto-approval comes before manual policies; the all-nodes policy covers untagged nodes; two tag policies conflict", async () => {
    await server
      .ssm()
      .send(new CreateDocumentCommand({ Name: "SSM-JustInTimeAccessAutoApprovalPolicy", DocumentType: "AutoApprovalPolicy", Content: AUTO_APPROVAL }));
    const auto = (await request(server.ssm(carol), sandbox.instanceId, "try")).AccessRequestId ?? "";
    assert.equal((await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: auto }))).AccessRequestStatus, "Approved");

    const fallback = (await request(server.ssm(carol), plain.instanceId, "look")).AccessRequestId ?? "";
    assert.equal((await detailsOf(server, fallback)).approvalPolicy, "DefaultAccess");
    assert.equal((await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: fallback }))).AccessRequestStatus, "Pending");

    await assert.rejects(request(server.ssm(carol), both.instanceId, "both"), (e: Error) => {
      assert.equal(e.name, "AccessDeniedException");
      assert.match(e.message, /PaymentsAccess \(tag Team=Payments\)/);
      assert.match(e.message, /DatabaseAccess \(tag key Tier\)/);
      assert.match(e.message, /both apply/);
      return true;
    });
  });

  it("audited every decision and published each status change", async () => {
    const statuses = (await storedEvents(server, "Just-in-time Node Access Request Status Change")).map(
      (d) => `${d.status}:${d["access-request-id"] ?? d["target-id"]}`,
    );
    assert.ok(statuses.includes(`Pending:${requestId}`), statuses.join(", "));
    assert.ok(statuses.includes(`Approved:${requestId}`), statuses.join(", "));
    assert.ok(statuses.includes(`Expired:${requestId}`), statuses.join(", "));
    assert.ok(statuses.includes(`Rejected:${both.instanceId}`), statuses.join(", "));
    assert.ok(
      statuses.some((s) => s.startsWith("Rejected:oi-")),
      statuses.join(", "),
    );
    const signals = await storedAudit(server, "SendAutomationSignal");
    assert.ok(signals.some((a) => a.principal_arn === alice.arn && a.error_code === null));
    assert.ok(signals.some((a) => a.principal_arn === bob.arn && a.error_code === null));
    assert.ok(signals.some((a) => a.principal_arn === carol.arn && a.error_code === "InvalidAutomationSignalException"));
    const updates = await storedAudit(server, "UpdateOpsItem");
    assert.ok(
      updates.some((a) => a.source_ip === `access-requests:${requestId}` && a.error_code === null),
      JSON.stringify(updates),
    );
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateDocumentCommand,
  DescribeInstanceInformationCommand,
  DescribeOpsItemsCommand,
  GetAccessTokenCommand,
  GetOpsItemCommand,
  StartAccessRequestCommand,
  StartSessionCommand,
} from "@aws-sdk/client-ssm";
import { type FakeNode, registerFakeNode } from "../harness/fake-node.js";
import { type Credentials, createUser, storedAudit, storedEvents, runProcess, startServer, type TestServer, type TestUser } from "../harness/index.js";
import { type AgentNode, cliEnv, cliInPty, sessionIdOf, startAgent, within } from "./sessions-helpers.js";

/** Users of just-in-time access hold no standing session permission: they may only ask for access. */
const requesterPolicy = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["ssm:StartAccessRequest", "ssm:GetAccessToken"], Resource: "*" }],
};

const AUTO_APPROVAL = `// Developers get nodes tagged Environment=Dev without waiting for anyone.
permit (
  principal,
  action == AWS::SSM::Action::"getTokenForInstanceAccess",
  resource
) when {
  resource.hasTag("Environment") && resource.getTag("Environment") == "Dev"
};`;

const DENY_ACCESS = `forbid (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource)
when { resource.hasTag("Environment") && resource.getTag("Environment") == "Production" };`;

/**
 * The aws CLI v1 (pyenv's `aws`, botocore new enough for start-access-request and get-access-token,
 * which Debian's CLI v2 predates) against the test server.
 */
function awsV1(server: TestServer, args: string[], creds: Credentials) {
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: server.region,
    AWS_PAGER: "",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
  return runProcess(process.env.OPENSSM_TEST_AWS_CLI_V1 ?? "aws", [...args, "--endpoint-url", server.endpoint, "--output", "json"], env);
}

/** Expects the call to fail with AWS's error `name` and a message matching `message`. */
async function rejects(call: Promise<unknown>, name: string, message?: RegExp): Promise<void> {
  await assert.rejects(call, (e: Error) => {
    assert.equal(e.name, name, e.message);
    if (message) assert.match(e.message, message);
    return true;
  });
}

describe("just-in-time node access: Cedar approval policies, access requests and time-bound tokens", () => {
  let server: TestServer;
  let dev: AgentNode;
  let production: FakeNode;
  let carol: TestUser;
  let dave: TestUser;
  let accessRequestId = "";
  let token: Credentials | undefined;

  before(async () => {
    server = await startServer({ testClock: true });
    dev = await startAgent(server, [{ Key: "Environment", Value: "Dev" }]);
    // A second registered node, never connected: authorization refuses before any connection matters.
    production = await registerFakeNode(server, { Environment: "Production" });
    carol = await createUser(server, "carol", [requesterPolicy]);
    dave = await createUser(server, "dave", [requesterPolicy]);
  });
  after(async () => {
    await dev?.stop();
    await server?.destroy();
  });

  it("without a grant, a requester can neither start a session nor get access no policy allows", async () => {
    await assert.rejects(server.ssm(carol).send(new StartSessionCommand({ Target: dev.instanceId })), { name: "AccessDeniedException" });
    await rejects(
      server.ssm(carol).send(new StartAccessRequestCommand({ Reason: "incident 41", Targets: [{ Key: "InstanceIds", Values: [dev.instanceId] }] })),
      "AccessDeniedException",
      /no auto-approval policy/,
    );
    const items = await server
      .ssm()
      .send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: "OpsItemType", Values: ["/aws/accessrequest"], Operator: "Equal" }] }));
    assert.equal(items.OpsItemSummaries?.length ?? 0, 0, "a refused request leaves no OpsItem");
  });

  it("stores the auto-approval and deny-access policies as Cedar text documents", async () => {
    const created = await server
      .ssm()
      .send(new CreateDocumentCommand({ Name: "SSM-JustInTimeAccessAutoApprovalPolicy", DocumentType: "AutoApprovalPolicy", Content: AUTO_APPROVAL }));
    assert.equal(created.DocumentDescription?.DocumentType, "AutoApprovalPolicy");
    assert.equal(created.DocumentDescription?.DocumentFormat, "TEXT");
    await server
      .ssm()
      .send(new CreateDocumentCommand({ Name: "SSM-JustInTimeAccessDenyAccessOrgPolicy", DocumentType: "AutoApprovalPolicy", Content: DENY_ACCESS }));
  });

  it("answers bad requests with AWS's errors", async () => {
    const ssm = server.ssm(carol);
    await rejects(
      ssm.send(new StartAccessRequestCommand({ Reason: "two", Targets: [{ Key: "InstanceIds", Values: [dev.instanceId, production.instanceId] }] })),
      "ValidationException",
      /exactly one target/,
    );
    await rejects(
      ssm.send(new StartAccessRequestCommand({ Reason: "tag", Targets: [{ Key: "tag:Environment", Values: ["Dev"] }] })),
      "ValidationException",
      /InstanceIds/,
    );
    await rejects(
      ssm.send(new StartAccessRequestCommand({ Reason: "gone", Targets: [{ Key: "InstanceIds", Values: ["mi-0123456789abcdef0"] }] })),
      "ResourceNotFoundException",
      /not registered/,
    );
    await assert.rejects(ssm.send(new GetAccessTokenCommand({ AccessRequestId: "oi-0123456789ab" })), { name: "ResourceNotFoundException" });
    await assert.rejects(ssm.send(new GetAccessTokenCommand({ AccessRequestId: "not-an-id" })), { name: "ValidationException" });
  });

  it("refuses a node the deny-access policy covers", async () => {
    await rejects(
      server.ssm(carol).send(new StartAccessRequestCommand({ Reason: "incident 42", Targets: [{ Key: "InstanceIds", Values: [production.instanceId] }] })),
      "AccessDeniedException",
      /SSM-JustInTimeAccessDenyAccessOrgPolicy/,
    );
  });

  it("approves a request the auto-approval policy permits at once, as an /aws/accessrequest OpsItem", async () => {
    const r = await awsV1(
      server,
      ["ssm", "start-access-request", "--targets", `Key=InstanceIds,Values=${dev.instanceId}`, "--reason", "incident 42", "--tags", "Key=ticket,Value=42"],
      carol,
    );
    assert.equal(r.code, 0, r.stderr);
    accessRequestId = r.json.AccessRequestId;
    assert.match(accessRequestId, /^oi-[0-9a-f]{12}$/);
    const item = (await server.ssm().send(new GetOpsItemCommand({ OpsItemId: accessRequestId }))).OpsItem;
    assert.equal(item?.OpsItemType, "/aws/accessrequest");
    assert.equal(item?.Status, "Approved");
    assert.equal(item?.Description, "incident 42");
    assert.equal(item?.CreatedBy, carol.arn);
    const details = JSON.parse(String(item?.OperationalData?.["/openssm/accessrequest"]?.Value)) as Record<string, string>;
    assert.equal(details.targetId, dev.instanceId);
    assert.equal(details.approvalPolicy, "SSM-JustInTimeAccessAutoApprovalPolicy");
  });

  it("gives the requester, and only the requester, temporary credentials until the grant ends", async () => {
    await assert.rejects(server.ssm(dave).send(new GetAccessTokenCommand({ AccessRequestId: accessRequestId })), (e: Error) => {
      assert.equal(e.name, "AccessDeniedException");
      assert.match(e.message, /only the requester/);
      return true;
    });
    const r = await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: accessRequestId }));
    assert.equal(r.AccessRequestStatus, "Approved");
    const c = r.Credentials;
    assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken && c.ExpirationTime);
    assert.match(c.AccessKeyId, /^ASIA/);
    const expires = c.ExpirationTime.getTime();
    const hour = 60 * 60 * 1000;
    assert.ok(Math.abs(expires - Date.now() - hour) < 5 * 60 * 1000, `expires about an hour from now: ${c.ExpirationTime}`);
    token = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  });

  it("the token opens a real shell on the granted node, and on no other node", async () => {
    assert.ok(token, "the token test ran first");
    const run = await cliInPty(["session", "start", "--target", dev.instanceId, "--reason", "incident 42", "--ca-file", server.caFile], cliEnv(server, token));
    try {
      const sessionId = await sessionIdOf(run);
      assert.match(sessionId, new RegExp(`^carol\\.${accessRequestId}-[0-9a-f]{17}$`));
      run.pty.write("echo JIT-$((40+2))\r");
      await run.waitFor("JIT-42");
      run.pty.write("exit\r");
      assert.equal(await within(run.exited, "the session to end"), 0);
    } finally {
      run.kill();
    }
    const asToken = server.ssm(token);
    await assert.rejects(asToken.send(new StartSessionCommand({ Target: production.instanceId })), (e: Error) => {
      assert.equal(e.name, "AccessDeniedException");
      assert.match(e.message, /ssm:StartSession/);
      return true;
    });
    await assert.rejects(asToken.send(new DescribeInstanceInformationCommand({})), { name: "AccessDeniedException" });
  });

  it("refuses forged tokens", async () => {
    assert.ok(token?.sessionToken);
    const forgedSession = { ...token, sessionToken: `${token.sessionToken.slice(0, -4)}AAAA` };
    await assert.rejects(server.ssm(forgedSession).send(new StartSessionCommand({ Target: dev.instanceId })), { name: "UnrecognizedClientException" });
    const noSession = { accessKeyId: token.accessKeyId, secretAccessKey: token.secretAccessKey };
    await assert.rejects(server.ssm(noSession).send(new StartSessionCommand({ Target: dev.instanceId })), { name: "UnrecognizedClientException" });
    const wrongSecret = { ...token, secretAccessKey: `${token.secretAccessKey.slice(0, -4)}abcd` };
    await assert.rejects(server.ssm(wrongSecret).send(new StartSessionCommand({ Target: dev.instanceId })), { name: "InvalidSignatureException" });
    const madeUp = { accessKeyId: "ASIAFORGEDFORGED0000", secretAccessKey: token.secretAccessKey, sessionToken: token.sessionToken };
    await assert.rejects(server.ssm(madeUp).send(new StartSessionCommand({ Target: dev.instanceId })), { name: "UnrecognizedClientException" });
  });

  it("refuses the token once the grant has expired (moved clock), and says Expired", async () => {
    assert.ok(token);
    await server.advanceClock(61 * 60);
    await assert.rejects(server.ssm(token).send(new StartSessionCommand({ Target: dev.instanceId })), { name: "ExpiredTokenException" });
    const after = await server.ssm(carol).send(new GetAccessTokenCommand({ AccessRequestId: accessRequestId }));
    assert.equal(after.AccessRequestStatus, "Expired");
    assert.equal(after.Credentials, undefined);
  });

  it("audited every decision and published it as an event", async () => {
    const decisions = await storedEvents(server, "Just-in-time Node Access Request Status Change");
    const statuses = decisions.map((d) => `${d.status}:${d["target-id"]}`);
    assert.ok(statuses.includes(`Rejected:${dev.instanceId}`), statuses.join(", "));
    assert.ok(statuses.includes(`Rejected:${production.instanceId}`), statuses.join(", "));
    assert.ok(statuses.includes(`Approved:${dev.instanceId}`), statuses.join(", "));
    assert.ok(statuses.includes(`Expired:${dev.instanceId}`), statuses.join(", "));
    const issued = await storedEvents(server, "Just-in-time Node Access Token Issued");
    assert.equal(issued.length, 1);
    assert.doesNotMatch(JSON.stringify(issued), new RegExp(String(token?.secretAccessKey).replace(/[+/]/g, ".")));
    const starts = await storedAudit(server, "StartAccessRequest");
    assert.ok(starts.some((a) => a.principal_arn === carol.arn && a.error_code === null));
    assert.ok(starts.some((a) => a.principal_arn === carol.arn && a.error_code === "AccessDeniedException"));
    const sessions = await storedAudit(server, "StartSession");
    assert.ok(sessions.some((a) => a.principal_arn?.includes("assumed-role/SSM-JustInTimeAccessTokenRole/carol.") && a.error_code === null));
    assert.ok(sessions.some((a) => a.principal_arn?.includes("assumed-role/SSM-JustInTimeAccessTokenRole/carol.") && a.error_code === "AccessDeniedException"));
  });
});

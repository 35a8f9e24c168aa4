import assert from "node:assert/strict";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DescribeAutomationExecutionsCommand, GetParameterCommand, PutParameterCommand, SendAutomationSignalCommand } from "@aws-sdk/client-ssm";
import { allowAll, createUser, eventually, startServer, type TestServer } from "../harness/index.js";
import { createRunbook, getExecution, start, stepsByName, waitFor } from "./automation-support.js";
import { openssm } from "./security-helpers.js";

/** Where AWS keeps webhook integrations in Parameter Store (aws:invokeWebhook reads them there). */
const WEBHOOK_PREFIX = "/d9d01087-4a3f-49e0-b0b4-d568d7826553/ssm/integrations/webhook/";

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** aws:executeAutomation, aws:invokeWebhook and the approval notification, with a local HTTP server as the far end. */
describe("automation: child executions, webhooks, approval notifications", () => {
  let server: TestServer;
  let hook: Server;
  let hookOrigin: string;
  const received: Received[] = [];

  before(async () => {
    hook = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => (body += d));
      req.on("end", () => {
        received.push({ method: String(req.method), path: String(req.url), headers: req.headers, body });
        res.statusCode = req.url === "/fail" ? 500 : 200;
        res.end(req.url === "/fail" ? "broken" : "thanks");
      });
    });
    await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
    hookOrigin = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
    server = await startServer({
      testClock: true,
      args: ["--webhook", `${hookOrigin}/events`],
      env: { OPENSSM_AUTOMATION_WEBHOOK_DESTINATIONS: hookOrigin },
    });
  });
  after(async () => {
    await server?.destroy();
    await new Promise((r) => hook?.close(r));
  });

  it("aws:executeAutomation runs a child as the same identity, waits for it and takes its outputs; a failed child fails the step", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "ChildWriter", {
      schemaVersion: "0.3",
      parameters: { Name: { type: "String" } },
      mainSteps: [
        {
          name: "put",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "PutParameter", Name: "/child/{{ Name }}", Value: "{{ automation:EXECUTION_ID }}", Type: "String" },
          outputs: [{ Name: "Version", Selector: "$.Version", Type: "Integer" }],
        },
      ],
      outputs: ["put.Version"],
    });
    await createRunbook(ssm, "ChildFails", {
      schemaVersion: "0.3",
      parameters: { Name: { type: "String" } },
      mainSteps: [{ name: "read", action: "aws:executeAwsApi", inputs: { Service: "ssm", Api: "GetParameter", Name: "/child/missing" } }],
    });
    await createRunbook(ssm, "ParentRunner", {
      schemaVersion: "0.3",
      parameters: { Child: { type: "String" }, Who: { type: "String", default: "alpha" } },
      mainSteps: [
        { name: "run", action: "aws:executeAutomation", inputs: { DocumentName: "{{ Child }}", RuntimeParameters: { Name: "{{ Who }}" } } },
        { name: "after", action: "aws:sleep", inputs: { Duration: "PT0S" } },
      ],
    });

    const id = await start(ssm, { DocumentName: "ParentRunner", Parameters: { Child: ["ChildWriter"] } });
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    const run = stepsByName(e).get("run");
    const childId = run?.Outputs?.ExecutionId?.[0] as string;
    assert.match(childId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(run?.Outputs?.Status, ["Success"]);
    assert.match(String(run?.Outputs?.Output?.[0]), /put\.Version/);
    assert.equal(stepsByName(e).get("after")?.StepStatus, "Success");

    const child = await getExecution(ssm, childId);
    assert.equal(child.AutomationExecutionStatus, "Success");
    assert.equal(child.ParentAutomationExecutionId, id);
    assert.equal(child.ExecutedBy, e.ExecutedBy, "the child runs as the parent's identity");
    assert.deepEqual(child.Parameters?.Name, ["alpha"]);
    assert.deepEqual(child.Outputs, { "put.Version": ["1"] });
    assert.equal((await ssm.send(new GetParameterCommand({ Name: "/child/alpha" }))).Parameter?.Value, childId);
    const listed = await ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: "ParentExecutionId", Values: [id] }] }));
    assert.deepEqual(
      listed.AutomationExecutionMetadataList?.map((m) => m.AutomationExecutionId),
      [childId],
    );

    // The child's start is in the audit trail as a call the parent execution made.
    await eventually(
      async () => {
        const r = await openssm(server, ["audit", "--json", "--operation", "StartAutomationExecution", "--limit", "1000"]);
        const rows = (r.json ?? []) as { sourceIp: string; errorCode: string | null; parameters: { DocumentName?: string } }[];
        return rows.some((x) => x.sourceIp === `automation:${id}` && x.parameters.DocumentName === "ChildWriter" && x.errorCode === null) || undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: "the child's start in the audit trail" },
    );

    const failing = await start(ssm, { DocumentName: "ParentRunner", Parameters: { Child: ["ChildFails"] } });
    const f = await waitFor(server, failing);
    assert.equal(f.AutomationExecutionStatus, "Failed");
    const failedRun = stepsByName(f).get("run");
    assert.equal(failedRun?.StepStatus, "Failed");
    assert.match(failedRun?.FailureMessage ?? "", /child execution .* ended Failed.*ParameterNotFound/);
    assert.equal(stepsByName(f).get("after"), undefined);

    // A child runbook that does not exist fails the step with the API's error.
    const missing = await start(ssm, { DocumentName: "ParentRunner", Parameters: { Child: ["NoSuchRunbook"] } });
    const m = await waitFor(server, missing);
    assert.equal(m.AutomationExecutionStatus, "Failed");
    assert.match(stepsByName(m).get("run")?.FailureMessage ?? "", /Starting NoSuchRunbook failed: AutomationDefinitionNotFoundException/);
  });

  it("aws:invokeWebhook posts to a stored integration at an allowed destination, and refuses the others", async () => {
    const ssm = server.ssm();
    const integration = (name: string, url: string) =>
      ssm.send(
        new PutParameterCommand({
          Name: `${WEBHOOK_PREFIX}${name}`,
          Type: "SecureString",
          Value: JSON.stringify({ url, headers: { "x-hook-token": "t0ken" } }),
        }),
      );
    await integration("deploys", `${hookOrigin}/deploys`);
    await integration("broken", `${hookOrigin}/fail`);
    // Same host, another port: not an allowed origin.
    await integration("elsewhere", `http://127.0.0.1:${(hook.address() as AddressInfo).port + 1}/x`);
    await createRunbook(ssm, "Notify", {
      schemaVersion: "0.3",
      parameters: { Integration: { type: "String" } },
      mainSteps: [
        {
          name: "post",
          action: "aws:invokeWebhook",
          inputs: { IntegrationName: "{{ Integration }}", Body: '{"execution": "{{ automation:EXECUTION_ID }}"}' },
        },
      ],
    });

    const id = await start(ssm, { DocumentName: "Notify", Parameters: { Integration: ["deploys"] } });
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    const got = received.find((r) => r.path === "/deploys");
    assert.ok(got, "the webhook was called");
    assert.equal(got.method, "POST");
    assert.equal(got.headers["x-hook-token"], "t0ken");
    assert.deepEqual(JSON.parse(got.body), { execution: id });
    const post = stepsByName(e).get("post");
    assert.deepEqual(post?.Outputs?.ResponseCode, ["200"]);
    assert.deepEqual(post?.Outputs?.Response, ["thanks"]);

    const broken = await waitFor(server, await start(ssm, { DocumentName: "Notify", Parameters: { Integration: ["broken"] } }));
    assert.equal(broken.AutomationExecutionStatus, "Failed");
    assert.match(stepsByName(broken).get("post")?.FailureMessage ?? "", /answered 500/);

    const calls = () => received.filter((r) => r.path !== "/events").length;
    const before = calls();
    const refused = await waitFor(server, await start(ssm, { DocumentName: "Notify", Parameters: { Integration: ["elsewhere"] } }));
    assert.equal(refused.AutomationExecutionStatus, "Failed");
    assert.match(stepsByName(refused).get("post")?.FailureMessage ?? "", /is not an allowed webhook destination.*OPENSSM_AUTOMATION_WEBHOOK_DESTINATIONS/);
    assert.equal(calls(), before, "nothing was sent to a destination the operator did not allow");

    const unknown = await waitFor(server, await start(ssm, { DocumentName: "Notify", Parameters: { Integration: ["nope"] } }));
    assert.match(stepsByName(unknown).get("post")?.FailureMessage ?? "", /webhook integration nope can't be read: ParameterNotFound/);
  });

  it("aws:approve with a NotificationArn sends an Automation Approval Notification to the webhooks; the named approver approves", async () => {
    const ssm = server.ssm();
    const approver = await createUser(server, "release-approver", [allowAll]);
    const topic = "arn:aws:sns:us-east-1:123456789012:approvals";
    await createRunbook(ssm, "Approved", {
      schemaVersion: "0.3",
      mainSteps: [
        {
          name: "gate",
          action: "aws:approve",
          inputs: { Approvers: ["release-approver"], Message: "Ship it?", NotificationArn: topic, MinRequiredApprovals: 1 },
        },
      ],
    });
    const id = await start(ssm, { DocumentName: "Approved" });
    await waitFor(server, id, (e) => e.AutomationExecutionStatus === "Waiting");
    const event = await eventually(
      async () =>
        received
          .filter((r) => r.path === "/events")
          .map((r) => JSON.parse(r.body))
          .find((b) => b["detail-type"] === "Automation Approval Notification" && b.detail?.AutomationExecutionId === id),
      { what: "the approval notification at the webhook" },
    );
    assert.deepEqual(event.resources, [topic]);
    assert.equal(event.detail.StepName, "gate");
    assert.equal(event.detail.Message, "Ship it?");
    assert.deepEqual(event.detail.Approvers, ["release-approver"]);

    // The admin is not an approver; the named user is.
    await assert.rejects(ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve" })), {
      name: "InvalidAutomationSignalException",
    });
    await server.ssm(approver).send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve", Payload: { Comment: ["go"] } }));
    const done = await waitFor(server, id);
    assert.equal(done.AutomationExecutionStatus, "Success", done.FailureMessage);
    assert.deepEqual(stepsByName(done).get("gate")?.Outputs?.ApprovalStatus, ["Approved"]);
    // Step and execution status changes reach the webhooks too.
    await eventually(
      async () =>
        received.some((r) => {
          if (r.path !== "/events") return false;
          const b = JSON.parse(r.body);
          return b["detail-type"] === "EC2 Automation Execution Status-change Notification" && b.detail?.ExecutionId === id && b.detail?.Status === "Success";
        }) || undefined,
      { what: "the execution's Success event at the webhook" },
    );
    // The step ran again for each signal; its notification went out once.
    const notifications = received
      .filter((r) => r.path === "/events")
      .map((r) => JSON.parse(r.body))
      .filter((b) => b["detail-type"] === "Automation Approval Notification" && b.detail?.AutomationExecutionId === id);
    assert.equal(notifications.length, 1);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { AddTagsToResourceCommand, DescribeAutomationExecutionsCommand, GetParameterCommand, SendAutomationSignalCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentProcess, createActivation, launchAgent, stopAllAgents } from "./agent-support.js";
import { createRunbook, getExecution, start, stepsByName, waitFor } from "./automation-support.js";

/** Runbooks that reach real openssm-agent processes through Run Command. */
describe("automation: runbooks on real nodes", () => {
  let server: TestServer;
  const agents: AgentProcess[] = [];
  let adminArn = "";

  before(async () => {
    server = await startServer({ testClock: true });
    const act = await createActivation(server, 20);
    const launched = await Promise.all(
      Array.from({ length: 10 }, (_, i) => launchAgent(server, act, "mgs", { name: `web-${i}`, args: ["--health-interval", "60"] })),
    );
    agents.push(...launched.sort((a, b) => (a.instanceId < b.instanceId ? -1 : 1)));
    const ssm = server.ssm();
    for (const a of agents) {
      await ssm.send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: a.instanceId, Tags: [{ Key: "Role", Value: "web" }] }));
    }
    await createRunbook(ssm, "Probe", { schemaVersion: "0.3", mainSteps: [{ name: "p", action: "aws:pause" }] });
    const probe = await start(ssm, { DocumentName: "Probe" });
    adminArn = (await getExecution(ssm, probe)).ExecutedBy as string;
  });
  after(async () => {
    await stopAllAgents(agents.map((a) => a.dataDir));
    await server?.destroy();
  });

  const flow = (instanceId: string) => ({
    schemaVersion: "0.3",
    parameters: { Service: { type: "String", default: "nginx" }, Approver: { type: "String" } },
    mainSteps: [
      {
        name: "check",
        action: "aws:runCommand",
        inputs: { DocumentName: "AWS-RunShellScript", InstanceIds: [instanceId], Parameters: { commands: ["echo service={{ Service }} host=$(hostname)"] } },
        outputs: [{ Name: "Text", Selector: "$.CommandInvocations[0].CommandPlugins[0].Output", Type: "String" }],
      },
      { name: "approve", action: "aws:approve", inputs: { Approvers: ["{{ Approver }}"], MinRequiredApprovals: 1, Message: "Restart {{ Service }}?" } },
      {
        name: "branch",
        action: "aws:branch",
        inputs: { Choices: [{ NextStep: "loop", Variable: "{{ check.Status }}", StringEquals: "Success" }], Default: "fail" },
      },
      { name: "fail", action: "aws:executeAwsApi", inputs: { Service: "ssm", Api: "GetParameter", Name: "/nothing/here" }, isEnd: true },
      {
        name: "loop",
        action: "aws:loop",
        inputs: {
          Iterators: ["one", "two"],
          Steps: [
            {
              name: "each",
              action: "aws:runCommand",
              inputs: {
                DocumentName: "AWS-RunShellScript",
                InstanceIds: [instanceId],
                Parameters: { commands: ["echo iteration {{ loop.CurrentIteratorValue }}"] },
              },
            },
          ],
        },
      },
      {
        name: "script",
        action: "aws:executeScript",
        inputs: {
          Runtime: "python3.11",
          Handler: "handler",
          InputPayload: { text: "{{ check.Output }}" },
          Script: "def handler(events, context):\n    return {'ok': 'service=nginx' in events['text']}\n",
        },
        outputs: [{ Name: "Ok", Selector: "$.Payload.ok", Type: "Boolean" }],
      },
      {
        name: "record",
        action: "aws:executeAwsApi",
        inputs: { Service: "ssm", Api: "PutParameter", Name: "/runs/{{ automation:EXECUTION_ID }}", Value: "ok={{ script.Ok }}", Type: "String" },
      },
    ],
    outputs: ["check.Text", "script.Ok"],
  });

  it("runCommand → approve → branch → loop → executeScript → executeAwsApi runs to Success on a real node", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "Flow", flow(agents[0].instanceId));
    const id = await start(ssm, { DocumentName: "Flow", Parameters: { Approver: [adminArn] } });
    await waitFor(server, id, (e) => e.AutomationExecutionStatus === "Waiting", { what: "the approval" });
    await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve", Payload: { Comment: ["go"] } }));
    const e = await waitFor(server, id, undefined, { timeoutMs: 60_000 });
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    const check = stepsByName(e).get("check");
    assert.equal(check?.Outputs?.Status?.[0], "Success");
    assert.match(check?.Outputs?.Output?.[0] ?? "", /service=nginx host=/);
    assert.equal(e.Outputs?.["script.Ok"]?.[0], "true");
    const loops = (e.StepExecutions ?? []).filter((s) => s.StepName === "each");
    assert.equal(loops.length, 2);
    assert.match(loops[1].Outputs?.Output?.[0] ?? "", /iteration two/);
    const p = await ssm.send(new GetParameterCommand({ Name: `/runs/${id}` }));
    assert.equal(p.Parameter?.Value, "ok=true");
  });

  it("Reject fails the execution before anything else runs", async () => {
    const ssm = server.ssm();
    const id = await start(ssm, { DocumentName: "Flow", Parameters: { Approver: [adminArn] } });
    await waitFor(server, id, (e) => e.AutomationExecutionStatus === "Waiting", { what: "the approval" });
    await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Reject", Payload: { Comment: ["no"] } }));
    const e = await waitFor(server, id, undefined, { timeoutMs: 60_000 });
    assert.equal(e.AutomationExecutionStatus, "Failed");
    assert.deepEqual(
      e.StepExecutions?.map((s) => [s.StepName, s.StepStatus]),
      [
        ["check", "Success"],
        ["approve", "Failed"],
      ],
    );
  });

  it("rate control over 10 tagged nodes: one child per node, stops starting children past MaxErrors", async () => {
    const ssm = server.ssm();
    const failing = agents.slice(0, 3).map((a) => a.instanceId);
    await createRunbook(ssm, "RestartWeb", {
      schemaVersion: "0.3",
      parameters: { InstanceId: { type: "String" }, Broken: { type: "String" } },
      mainSteps: [
        {
          name: "restart",
          action: "aws:runCommand",
          inputs: {
            DocumentName: "AWS-RunShellScript",
            InstanceIds: ["{{ InstanceId }}"],
            Parameters: { commands: ['case "{{ Broken }}" in *{{ InstanceId }}*) echo broken; exit 1;; esac', "echo restarted"] },
          },
        },
      ],
    });
    // Every node healthy: all ten children succeed, at most 3 at a time.
    const ok = await start(ssm, {
      DocumentName: "RestartWeb",
      Targets: [{ Key: "tag:Role", Values: ["web"] }],
      TargetParameterName: "InstanceId",
      MaxConcurrency: "30%",
      MaxErrors: "1",
      Parameters: { Broken: ["none"] },
    });
    const parent = await waitFor(server, ok, undefined, { timeoutMs: 90_000 });
    assert.equal(parent.AutomationExecutionStatus, "Success", parent.FailureMessage);
    assert.equal(parent.ResolvedTargets?.ParameterValues?.length, 10);
    assert.equal(parent.ProgressCounters?.SuccessSteps, 10);
    const kids = await ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: "ParentExecutionId", Values: [ok] }], MaxResults: 50 }));
    assert.equal(kids.AutomationExecutionMetadataList?.length, 10);
    assert.deepEqual(new Set(kids.AutomationExecutionMetadataList?.map((k) => k.Target)), new Set(agents.map((a) => a.instanceId)));

    // Three broken nodes first: past MaxErrors 1, no further child starts.
    const bad = await start(ssm, {
      DocumentName: "RestartWeb",
      Targets: [{ Key: "tag:Role", Values: ["web"] }],
      TargetParameterName: "InstanceId",
      MaxConcurrency: "2",
      MaxErrors: "1",
      Parameters: { Broken: [failing.join(",")] },
    });
    const stopped = await waitFor(server, bad, undefined, { timeoutMs: 90_000 });
    assert.equal(stopped.AutomationExecutionStatus, "Failed");
    assert.match(stopped.FailureMessage ?? "", /MaxErrors/);
    const started = await ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: "ParentExecutionId", Values: [bad] }], MaxResults: 50 }));
    const list = started.AutomationExecutionMetadataList ?? [];
    assert.ok(list.length >= 2 && list.length <= 3, `2 or 3 children started (${list.length})`);
    assert.ok(list.every((k) => failing.includes(k.Target as string) && k.AutomationExecutionStatus === "Failed"));
  });
});

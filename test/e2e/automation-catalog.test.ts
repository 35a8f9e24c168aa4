import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  GetExecutionPreviewCommand,
  GetParameterCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SendAutomationSignalCommand,
  StartExecutionPreviewCommand,
  StopAutomationExecutionCommand,
} from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentProcess, createActivation, launchAgent, stopAllAgents } from "./agent-support.js";
import { start, stepsByName, waitFor } from "./automation-support.js";

/** The built-in runbooks, each run against a real openssm-agent node. */
describe("automation: the built-in runbook catalog", () => {
  let server: TestServer;
  let agent: AgentProcess;
  before(async () => {
    server = await startServer({ testClock: true });
    agent = await launchAgent(server, await createActivation(server), "mgs", { args: ["--health-interval", "60"] });
  });
  after(async () => {
    await stopAllAgents([agent?.dataDir].filter(Boolean) as string[]);
    await server?.destroy();
  });
  const run = async (name: string, parameters: Record<string, string[]>) => {
    const id = await start(server.ssm(), { DocumentName: name, Parameters: parameters });
    return waitFor(server, id, undefined, { timeoutMs: 60_000 });
  };

  it("AWS-RunShellScriptOnNode and AWS-CollectNodeDiagnostics run on the node", async () => {
    const e = await run("AWS-RunShellScriptOnNode", { InstanceId: [agent.instanceId], Commands: ["echo hello from $(whoami)"] });
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.match(e.Outputs?.["run.Output"]?.[0] ?? "", /hello from/);
    const d = await run("AWS-CollectNodeDiagnostics", { InstanceId: [agent.instanceId] });
    assert.equal(d.AutomationExecutionStatus, "Success", d.FailureMessage);
    assert.match(d.Outputs?.["collect.Output"]?.[0] ?? "", /== system[\s\S]*== disks/);
  });

  it("AWS-RunScriptWithApproval waits for an approver by name", async () => {
    const ssm = server.ssm();
    const id = await start(ssm, {
      DocumentName: "AWS-RunScriptWithApproval",
      Parameters: { InstanceId: [agent.instanceId], Commands: ["echo approved run"], Approvers: ["admin"] },
    });
    await waitFor(server, id, (e) => e.AutomationExecutionStatus === "Waiting");
    await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve" }));
    const e = await waitFor(server, id, undefined, { timeoutMs: 60_000 });
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.match(e.Outputs?.["run.Output"]?.[0] ?? "", /approved run/);
  });

  it("AWS-RotateSecureString puts a new value without showing it", async () => {
    const ssm = server.ssm();
    await ssm.send(new PutParameterCommand({ Name: "/db/password", Value: "old-secret", Type: "SecureString" }));
    const e = await run("AWS-RotateSecureString", { ParameterName: ["/db/password"], Length: ["24"] });
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.deepEqual(e.Outputs?.["rotate.Version"], ["2"]);
    const p = await ssm.send(new GetParameterCommand({ Name: "/db/password", WithDecryption: true }));
    assert.equal(p.Parameter?.Value?.length, 24);
    assert.ok(!JSON.stringify(e).includes(p.Parameter?.Value as string), "the new value appears nowhere in the execution");
  });

  it("AWS-CheckDiskSpace passes under the threshold and fails at it", async () => {
    const ok = await run("AWS-CheckDiskSpace", { InstanceId: [agent.instanceId], ThresholdPercent: ["100"] });
    assert.equal(ok.AutomationExecutionStatus, "Success", ok.FailureMessage);
    assert.equal(stepsByName(ok).get("decide")?.NextStep, "fine");
    const full = await run("AWS-CheckDiskSpace", { InstanceId: [agent.instanceId], ThresholdPercent: ["0"] });
    assert.equal(full.AutomationExecutionStatus, "Failed");
    assert.match(full.FailureMessage ?? "", /at or over the threshold of 0%/);
  });

  it("AWS-WaitForManagedNodeOnline and AWS-TagManagedNode act through the SSM API", async () => {
    const w = await run("AWS-WaitForManagedNodeOnline", { InstanceId: [agent.instanceId] });
    assert.equal(w.AutomationExecutionStatus, "Success", w.FailureMessage);
    const t = await run("AWS-TagManagedNode", { InstanceId: [agent.instanceId], TagKey: ["Patched"], TagValue: ["yes"] });
    assert.equal(t.AutomationExecutionStatus, "Success", t.FailureMessage);
    const tags = await server.ssm().send(new ListTagsForResourceCommand({ ResourceType: "ManagedInstance", ResourceId: agent.instanceId }));
    assert.ok(tags.TagList?.some((x) => x.Key === "Patched" && x.Value === "yes"));
  });

  it("AWS-RestartManagedInstance: previewed and started Interactive (the test machine is never rebooted)", async () => {
    const ssm = server.ssm();
    const preview = await ssm.send(
      new StartExecutionPreviewCommand({
        DocumentName: "AWS-RestartManagedInstance",
        ExecutionInputs: { Automation: { Targets: [{ Key: "InstanceIds", Values: [agent.instanceId] }], TargetParameterName: "InstanceId" } },
      }),
    );
    const got = await ssm.send(new GetExecutionPreviewCommand({ ExecutionPreviewId: preview.ExecutionPreviewId }));
    assert.equal(got.Status, "Success", got.StatusMessage);
    assert.deepEqual(got.ExecutionPreview?.Automation?.StepPreviews, { Mutating: 1, NonMutating: 1 });
    assert.deepEqual(got.ExecutionPreview?.Automation?.TargetPreviews, [{ Count: 1, TargetType: "AWS::SSM::ManagedInstance" }]);
    const id = await start(ssm, { DocumentName: "AWS-RestartManagedInstance", Mode: "Interactive", Parameters: { InstanceId: [agent.instanceId] } });
    const waiting = await waitFor(server, id, (e) => e.AutomationExecutionStatus === "Waiting");
    assert.equal(waiting.StepExecutions?.length, 0);
    await ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: id }));
    assert.equal((await waitFor(server, id)).AutomationExecutionStatus, "Cancelled");
    await assert.rejects(
      ssm
        .send(
          new StartExecutionPreviewCommand({
            DocumentName: "AWS-RestartManagedInstance",
            ExecutionInputs: { Automation: { Parameters: { InstanceId: ["bad"] } } },
          }),
        )
        .then(async (r) => {
          const g = await ssm.send(new GetExecutionPreviewCommand({ ExecutionPreviewId: r.ExecutionPreviewId }));
          throw new Error(`${g.Status}: ${g.StatusMessage}`);
        }),
      /Failed: InvalidAutomationExecutionParametersException.*InstanceId/,
    );
  });
});

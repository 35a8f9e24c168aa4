import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  AddTagsToResourceCommand,
  DescribeAutomationExecutionsCommand,
  GetOpsItemCommand,
  ListCommandInvocationsCommand,
  ListOpsItemEventsCommand,
  SendAutomationSignalCommand,
  UpdateDocumentMetadataCommand,
} from "@aws-sdk/client-ssm";
import { awsCli, eventually, startServer, type TestServer } from "../harness/index.js";
import { type AgentProcess, createActivation, launchAgent, stopAllAgents } from "./agent-support.js";
import { waitFor } from "./automation-support.js";
import { type ChangeWorld, changeWorld, iso } from "./change-manager-support.js";

/**
 * A change request from submission to execution on real openssm-agent processes: two approval levels
 * (two IAM users), the scheduled time reached by moving the test clock, the runbook running Run
 * Command on the nodes tagged Role=web only, and the OpsItem's timeline.
 */
describe("change manager: a change runs on tagged nodes at its scheduled time", () => {
  let server: TestServer;
  let dir: string;
  let w: ChangeWorld;
  const agents: AgentProcess[] = [];
  let untagged: AgentProcess | undefined;

  before(async () => {
    server = await startServer({ testClock: true });
    dir = mkdtempSync(join(tmpdir(), "openssm-change-"));
    const act = await createActivation(server, 5);
    // One node tagged Role=web, one not (kept to two processes: the test machine is shared).
    const launched = await Promise.all(["web-0", "db-0"].map((name) => launchAgent(server, act, "mgs", { name, args: ["--health-interval", "60"] })));
    agents.push(launched[0]);
    untagged = launched[1];
    const ssm = server.ssm();
    for (const a of agents) {
      await ssm.send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: a.instanceId, Tags: [{ Key: "Role", Value: "web" }] }));
    }
    w = await changeWorld(server, dir, { cli: false });
    await ssm.send(new UpdateDocumentMetadataCommand({ Name: "PatchWebFleet", DocumentReviews: { Action: "Approve" } }));
  });

  after(async () => {
    await stopAllAgents([...agents.map((a) => a.dataDir), ...(untagged ? [untagged.dataDir] : [])]);
    await server?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a two-level approval (two IAM users) runs the change at its scheduled time on the tagged nodes", async () => {
    const r = await awsCli(
      server,
      [
        "ssm",
        "start-change-request-execution",
        "--change-request-name",
        "Patch web, Dec",
        "--document-name",
        "PatchWebFleet",
        "--runbooks",
        JSON.stringify([
          {
            DocumentName: "PatchWebNode",
            Parameters: { Message: ["dec-patch"] },
            Targets: [{ Key: "tag:Role", Values: ["web"] }],
            TargetParameterName: "InstanceId",
            MaxConcurrency: "2",
          },
        ]),
        "--scheduled-time",
        iso(w.t0 + 30 * 60_000),
        "--change-details",
        "Monthly patch of the web fleet",
      ],
      { creds: w.carol },
    );
    assert.equal(r.code, 0, r.stderr);
    const id = r.json.AutomationExecutionId as string;
    const ssm = server.ssm(w.carol);
    let e = await waitFor(server, id, (x) => x.AutomationExecutionStatus === "PendingApproval" && x.CurrentStepName === "ApproveLevel1", { ssm });
    assert.equal(e.AutomationSubtype, "ChangeRequest");
    assert.equal(e.ChangeRequestName, "Patch web, Dec");
    assert.equal(e.ScheduledTime?.getTime(), Math.floor((w.t0 + 30 * 60_000) / 1000) * 1000);
    assert.equal(e.Runbooks?.[0]?.DocumentName, "PatchWebNode");
    const opsItemId = e.OpsItemId as string;
    assert.match(opsItemId, /^oi-/);
    const item = (await ssm.send(new GetOpsItemCommand({ OpsItemId: opsItemId }))).OpsItem;
    assert.equal(item?.OpsItemType, "/aws/changerequest");
    assert.equal(item?.Title, "Patch web, Dec");
    assert.equal(item?.OperationalData?.["/openssm/changerequest/execution"]?.Value, id);
    const listed = await awsCli(server, ["ssm", "describe-ops-items", "--ops-item-filters", "Key=OpsItemType,Values=/aws/changerequest,Operator=Equal"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(listed.json.OpsItemSummaries.some((s: { OpsItemId: string }) => s.OpsItemId === opsItemId));
    const byOpsItem = await server.ssm().send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: "OpsItemId", Values: [opsItemId] }] }));
    assert.deepEqual(
      byOpsItem.AutomationExecutionMetadataList?.map((m) => [m.AutomationExecutionId, m.AutomationSubtype, m.ChangeRequestName]),
      [[id, "ChangeRequest", "Patch web, Dec"]],
    );
    await eventually(async () => (await ssm.send(new GetOpsItemCommand({ OpsItemId: opsItemId }))).OpsItem?.Status === "PendingApproval", {
      what: "the OpsItem to show PendingApproval",
    });

    // Carol is no approver; Bob is not one of level 1's.
    await assert.rejects(ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve" })), {
      name: "InvalidAutomationSignalException",
    });
    await assert.rejects(server.ssm(w.bob).send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve" })), {
      name: "InvalidAutomationSignalException",
    });
    const approved = await awsCli(server, ["ssm", "send-automation-signal", "--automation-execution-id", id, "--signal-type", "Approve"], { creds: w.alice });
    assert.equal(approved.code, 0, approved.stderr);
    e = await waitFor(server, id, (x) => x.AutomationExecutionStatus === "PendingApproval" && x.CurrentStepName === "ApproveLevel2", { ssm });
    await server.ssm(w.bob).send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve", Payload: { Comment: ["ship it"] } }));
    e = await waitFor(server, id, (x) => x.AutomationExecutionStatus === "Scheduled", { ssm, what: "the change to wait for its scheduled time" });
    await eventually(async () => (await ssm.send(new GetOpsItemCommand({ OpsItemId: opsItemId }))).OpsItem?.Status === "Scheduled", {
      what: "the OpsItem to show Scheduled",
    });
    // Nothing ran on a node before the scheduled time.
    const early = await server.ssm().send(new ListCommandInvocationsCommand({ Filters: [{ key: "DocumentName", value: "AWS-RunShellScript" }] }));
    assert.equal(early.CommandInvocations?.length ?? 0, 0);

    await server.advanceClock(31 * 60);
    e = await waitFor(server, id, (x) => ["Success", "Failed", "Cancelled", "TimedOut"].includes(x.AutomationExecutionStatus ?? ""), {
      ssm,
      timeoutMs: 90_000,
      what: "the change to run",
    });
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    const run = e.StepExecutions?.find((s) => s.StepName === "RunChangeRunbook");
    const childId = run?.Outputs?.ExecutionId?.[0] as string;
    const kids = await server.ssm().send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: "ParentExecutionId", Values: [childId] }] }));
    assert.deepEqual((kids.AutomationExecutionMetadataList ?? []).map((k) => k.Target).sort(), agents.map((a) => a.instanceId).sort());
    assert.ok((kids.AutomationExecutionMetadataList ?? []).every((k) => k.AutomationExecutionStatus === "Success"));
    const invocations = await server
      .ssm()
      .send(new ListCommandInvocationsCommand({ Filters: [{ key: "DocumentName", value: "AWS-RunShellScript" }], Details: true }));
    assert.deepEqual(
      (invocations.CommandInvocations ?? []).map((i) => i.InstanceId).sort(),
      agents.map((a) => a.instanceId).sort(),
      "the untagged node ran nothing",
    );
    assert.ok((invocations.CommandInvocations ?? []).every((i) => /dec-patch on /.test(i.CommandPlugins?.[0]?.Output ?? "")));

    // The OpsItem's timeline: approvals, the calendar at the scheduled time, the outcome.
    const final = await eventually(
      async () => {
        const o = (await ssm.send(new GetOpsItemCommand({ OpsItemId: opsItemId }))).OpsItem;
        return o?.Status === "CompletedWithSuccess" ? o : undefined;
      },
      { what: "the OpsItem to show CompletedWithSuccess" },
    );
    assert.match(final.OperationalData?.["/openssm/changerequest/approval/ApproveLevel1"]?.Value ?? "", /Approved .*Approve by arn:aws:iam::\d+:user\/alice/);
    assert.match(final.OperationalData?.["/openssm/changerequest/approval/ApproveLevel2"]?.Value ?? "", /user\/bob \(ship it\)/);
    assert.match(final.OperationalData?.["/openssm/changerequest/calendar-at-scheduled-time"]?.Value ?? "", /^OPEN at /);
    assert.match(final.OperationalData?.["/openssm/changerequest/outcome"]?.Value ?? "", /^Success at /);
    const events = await ssm.send(new ListOpsItemEventsCommand({ Filters: [{ Key: "OpsItemId", Values: [opsItemId], Operator: "Equal" }] }));
    assert.ok((events.Summaries?.length ?? 0) >= 5, `timeline: ${JSON.stringify(events.Summaries?.map((s) => s.Detail))}`);
  });
});

import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  AddTagsToResourceCommand,
  CreateAssociationCommand,
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  DescribeAssociationExecutionTargetsCommand,
  DescribeInstanceAssociationsStatusCommand,
  GetInventoryCommand,
  ListComplianceItemsCommand,
  ListResourceComplianceSummariesCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { eventually, startServer, type TestServer } from "../harness/index.js";
import { type Activation, AgentProcess, createActivation, launchAgent, stopAllAgents } from "./agent-support.js";

describe("State Manager with real openssm-agent processes: schedules, new nodes, failures, restarts, inventory", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let act: Activation;
  const agents: AgentProcess[] = [];
  const marks = mkdtempSync(join(tmpdir(), "openssm-assoc-"));
  let applyId = "";

  /** How many times the association ran on a node (each run appends a line to its file). */
  const runs = (instanceId: string) =>
    existsSync(join(marks, `${instanceId}.log`))
      ? readFileSync(join(marks, `${instanceId}.log`), "utf8")
          .split("\n")
          .filter(Boolean).length
      : 0;
  const tag = (instanceId: string, Key: string, Value: string) =>
    ssm.send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: instanceId, Tags: [{ Key, Value }] }));
  const counts = async (id: string) =>
    (await ssm.send(new DescribeAssociationCommand({ AssociationId: id }))).AssociationDescription?.Overview?.AssociationStatusAggregatedCount ?? {};
  const executions = async (id: string) => (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
  const allDone = (id: string, n: number, what: string) =>
    eventually(
      async () => {
        const list = await executions(id);
        return list.length === n && list.every((e) => e.Status === "Success" || e.Status === "Failed") ? list : undefined;
      },
      { timeoutMs: 60_000, what },
    );

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
    act = await createActivation(server);
    for (const t of ["mgs", "poll"] as const) {
      const a = await launchAgent(server, act, t, { name: `assoc-${t}` });
      agents.push(a);
      await tag(a.instanceId, "Environment", "Production");
    }
  });
  after(async () => {
    await stopAllAgents(agents.map((a) => a.dataDir));
    await server?.destroy();
    rmSync(marks, { recursive: true, force: true });
  });

  test("an association by tag applies on every matching node, and again at its next scheduled time", async () => {
    const r = await ssm.send(
      new CreateAssociationCommand({
        Name: "AWS-RunShellScript",
        AssociationName: "mark-runs",
        Targets: [{ Key: "tag:Environment", Values: ["Production"] }],
        Parameters: { commands: [`echo applied >> ${marks}/$AWS_SSM_INSTANCE_ID.log`, "echo done"] },
        ScheduleExpression: "rate(30 minutes)",
      }),
    );
    applyId = String(r.AssociationDescription?.AssociationId);
    await eventually(async () => ((await counts(applyId)).Success === 2 ? true : undefined), { timeoutMs: 60_000, what: "Success on both nodes" });
    for (const a of agents) assert.equal(runs(a.instanceId), 1, a.instanceId);
    const [first] = await allDone(applyId, 1, "the first execution");
    const targets = await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: applyId, ExecutionId: first.ExecutionId }));
    assert.deepEqual(
      targets.AssociationExecutionTargets?.map((t) => t.Status),
      ["Success", "Success"],
    );
    await server.advanceClock(30 * 60);
    await allDone(applyId, 2, "the second execution, 30 minutes later");
    for (const a of agents) assert.equal(runs(a.instanceId), 2, a.instanceId);
  });

  test("a node registered later with matching tags gets the association at once", async () => {
    const late = await launchAgent(server, act, "mgs", { name: "assoc-late" });
    agents.push(late);
    await tag(late.instanceId, "Environment", "Production");
    await eventually(async () => (runs(late.instanceId) === 1 && (await counts(applyId)).Success === 3 ? true : undefined), {
      timeoutMs: 60_000,
      what: "the association on the late node",
    });
    assert.equal(runs(agents[0].instanceId), 2, "the others did not run again");
  });

  test("a failing association shows Failed and the node NON_COMPLIANT with the severity", async () => {
    const r = await ssm.send(
      new CreateAssociationCommand({
        Name: "AWS-RunShellScript",
        Targets: [{ Key: "InstanceIds", Values: [agents[0].instanceId] }],
        Parameters: { commands: ["echo checking; exit 3"] },
        ComplianceSeverity: "CRITICAL",
      }),
    );
    const id = String(r.AssociationDescription?.AssociationId);
    await eventually(async () => ((await counts(id)).Failed === 1 ? true : undefined), { timeoutMs: 60_000, what: "the failure" });
    const d = await ssm.send(new DescribeAssociationCommand({ AssociationId: id }));
    assert.equal(d.AssociationDescription?.Overview?.Status, "Failed");
    const items = await ssm.send(
      new ListComplianceItemsCommand({ ResourceIds: [agents[0].instanceId], Filters: [{ Key: "ComplianceType", Values: ["Association"] }] }),
    );
    const item = items.ComplianceItems?.find((i) => i.Id === id);
    assert.equal(item?.Status, "NON_COMPLIANT");
    assert.equal(item?.Severity, "CRITICAL");
    const summary = await ssm.send(
      new ListResourceComplianceSummariesCommand({
        Filters: [
          { Key: "ComplianceType", Values: ["Association"] },
          { Key: "Status", Values: ["NON_COMPLIANT"] },
        ],
      }),
    );
    assert.deepEqual(
      summary.ResourceComplianceSummaryItems?.map((s) => [s.ResourceId, s.OverallSeverity]),
      [[agents[0].instanceId, "CRITICAL"]],
    );
    const [execution] = await executions(id);
    const target = (await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: id, ExecutionId: execution.ExecutionId })))
      .AssociationExecutionTargets?.[0] as {
      ExecutionSummary?: string;
    };
    assert.match(String(target?.ExecutionSummary ?? ""), /^$|checking/);
    const status = await ssm.send(new DescribeInstanceAssociationsStatusCommand({ InstanceId: agents[0].instanceId }));
    assert.match(String(status.InstanceAssociationStatusInfos?.find((i) => i.AssociationId === id)?.ExecutionSummary), /checking/);
  });

  test("restarts of the server and an agent neither lose nor repeat a scheduled application", async () => {
    const down = agents[1];
    const before = (await executions(applyId)).length;
    await down.kill("SIGKILL");
    await server.stop();
    await server.restart();
    // the restarted server's test clock starts again from the wall clock: the next time is an hour away
    await server.advanceClock(60 * 60);
    await eventually(async () => ((await executions(applyId)).length === before + 1 ? true : undefined), { what: "one execution for the time that passed" });
    // the agent that was down applies it once when it comes back
    const back = new AgentProcess(down.dataDir, down.instanceId, "poll").start();
    agents[1] = back;
    await back.ready();
    await allDone(applyId, before + 1, "the execution after the restarts");
    const debug = JSON.stringify(
      await Promise.all(
        (await executions(applyId)).map(async (e) => [
          e.Status,
          e.CreatedTime,
          (
            await ssm.send(new DescribeAssociationExecutionTargetsCommand({ AssociationId: applyId, ExecutionId: e.ExecutionId }))
          ).AssociationExecutionTargets?.map((t) => [t.ResourceId, t.Status, t.DetailedStatus]),
        ]),
      ),
    );
    for (const a of agents.slice(0, 2)) assert.equal(runs(a.instanceId), 3, `${a.instanceId} ${debug}`);
    assert.equal(runs(agents[2].instanceId), 2);
    // started again, the agent lists its associations and finds nothing to repeat
    await back.kill("SIGKILL");
    const again = new AgentProcess(down.dataDir, down.instanceId, "poll").start();
    agents[1] = again;
    await again.ready();
    await eventually(async () => (again.log().includes("associations listed") ? true : undefined), { what: "the restarted agent's listing" });
    assert.equal(runs(down.instanceId), 3);
    assert.equal((await executions(applyId)).length, before + 1);
  });

  test("AWS-GatherSoftwareInventory: real nodes' applications answer GetInventory filters and aggregators", async () => {
    const custom = join(agents[0].dataDir, "inventory", "custom");
    mkdirSync(custom, { recursive: true });
    writeFileSync(join(custom, "rack.json"), JSON.stringify({ SchemaVersion: "1.0", TypeName: "Custom:RackInfo", Content: { RackLocation: "Bay B/Row C" } }));
    const r = await ssm.send(
      new CreateAssociationCommand({
        Name: "AWS-GatherSoftwareInventory",
        Targets: [{ Key: "InstanceIds", Values: ["*"] }],
        ScheduleExpression: "rate(30 minutes)",
      }),
    );
    const id = String(r.AssociationDescription?.AssociationId);
    await eventually(async () => ((await counts(id)).Success === 3 ? true : undefined), { timeoutMs: 90_000, what: "inventory gathered on the three nodes" });
    const withDpkg = await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "AWS:Application.Name", Values: ["dpkg"], Type: "Equal" }] }));
    assert.deepEqual(withDpkg.Entities?.map((e) => e.Id).sort(), agents.map((a) => a.instanceId).sort());
    const platforms = await ssm.send(new GetInventoryCommand({ Aggregators: [{ Expression: "AWS:InstanceInformation.PlatformName" }] }));
    const rows = platforms.Entities?.[0].Data?.["AWS:InstanceInformation"]?.Content ?? [];
    assert.equal(
      rows.reduce((n, row) => n + Number(row.Count), 0),
      3,
    );
    const rack = await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "Custom:RackInfo.RackLocation", Values: ["Bay B"], Type: "BeginWith" }] }));
    assert.deepEqual(
      rack.Entities?.map((e) => e.Id),
      [agents[0].instanceId],
    );
    const kernel = await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "AWS:InstanceDetailedInformation.CPUs", Values: ["0"], Type: "GreaterThan" }] }));
    assert.equal(kernel.Entities?.length, 3);
  });
});

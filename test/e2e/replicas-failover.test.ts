import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  ListCommandInvocationsCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  SendCommandCommand,
} from "@aws-sdk/client-ssm";
import { eventually, testEngine } from "../harness/index.js";
import { type AgentProcess, createActivation, invocationDone, launchAgent, stopAllAgents } from "./agent-support.js";
import { type Cluster, haproxyMissing, startCluster } from "./replicas-support.js";

/**
 * Three replicas on one PostgreSQL database behind HAProxy; the agent knows only the balancer. kill -9
 * of the replica holding the node's channel mid-command: the agent reconnects through the balancer,
 * the command finishes, runs once and is reported once. kill -9 of the scheduler's lease holder
 * before a job is due: the lease moves and the job runs once.
 */
const skip = testEngine !== "postgres" ? "several replicas need PostgreSQL" : haproxyMissing;

describe("losing a replica behind a load balancer (PostgreSQL)", { skip }, () => {
  let cluster: Cluster;
  let node: AgentProcess;
  const work = mkdtempSync(join(tmpdir(), "openssm-replicas-"));

  before(async () => {
    cluster = await startCluster(3);
    node = await launchAgent(cluster.front, await createActivation(cluster.front, 1), "mgs", { name: "failover" });
  });
  after(async () => {
    await stopAllAgents([node?.dataDir].filter(Boolean) as string[]);
    await cluster?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it("kill -9 of the replica holding a node's channel mid-command loses and repeats nothing", async () => {
    const { front, events } = cluster;
    const home = await cluster.homeOf(node.instanceId);
    const marks = join(work, "command-marks");
    const sent = await front.ssm().send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        InstanceIds: [node.instanceId],
        Parameters: { commands: [`echo start >> ${marks}`, "sleep 3", `echo ran >> ${marks}`, "echo finished"] },
      }),
    );
    const commandId = String(sent.Command?.CommandId);
    await eventually(async () => existsSync(marks) && readFileSync(marks, "utf8").includes("start"), { timeoutMs: 30_000, what: "the command to start" });
    await home.kill();

    const inv = await invocationDone(front, commandId, node.instanceId, { timeoutMs: 90_000 });
    assert.equal(inv.Status, "Success", JSON.stringify(inv));
    assert.equal(inv.StandardOutputContent, "finished\n");
    assert.equal(readFileSync(marks, "utf8"), "start\nran\n", "the command ran once");
    const listed = await front.ssm().send(new ListCommandInvocationsCommand({ CommandId: commandId }));
    assert.equal(listed.CommandInvocations?.length, 1);
    // Reported once: one Success notification for the invocation, whichever replica took the reply.
    const successes = () =>
      events.filter(
        (e) =>
          e["detail-type"] === "EC2 Command Invocation Status-change Notification" && e.detail["command-id"] === commandId && e.detail.status === "Success",
      );
    await eventually(() => successes().length > 0 || undefined, { what: "the Success notification" });
    assert.equal(successes().length, 1);

    // The agent came back through the balancer to a surviving replica, and new commands work.
    const survivor = await cluster.homeOf(node.instanceId);
    assert.notEqual(survivor, home);
    const again = await front
      .ssm()
      .send(new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [node.instanceId], Parameters: { commands: ["echo again"] } }));
    const second = await invocationDone(front, String(again.Command?.CommandId), node.instanceId, { timeoutMs: 30_000 });
    assert.equal(second.StandardOutputContent, "again\n");
  });

  it("a scheduled job runs once while the replica holding the scheduler's lease is killed", async () => {
    const { front, view, replicas } = cluster;
    const pid = await eventually(() => view.leaseHolderPid(), { what: "a scheduler lease holder" });
    const holder = replicas.find((r) => r.process.pid === pid && r.process.exitCode === null && r.process.signalCode === null);
    assert.ok(holder, `the lease holder (pid ${pid}) is a live replica`);
    const marks = join(work, "window-marks");
    const ssm = front.ssm();
    const at = new Date(Date.now() + 6_000).toISOString().slice(0, 19);
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "while-killed", Schedule: `at(${at})`, Duration: 1, Cutoff: 0, AllowUnassociatedTargets: true }),
    );
    await ssm.send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId,
        TaskType: "RUN_COMMAND",
        TaskArn: "AWS-RunShellScript",
        Targets: [{ Key: "InstanceIds", Values: [node.instanceId] }],
        MaxConcurrency: "1",
        MaxErrors: "0",
        TaskInvocationParameters: { RunCommand: { Parameters: { commands: [`echo window >> ${marks}`] } } },
      }),
    );
    await holder.kill();
    const done = await eventually(
      async () => {
        const ex = (await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId }))).WindowExecutions ?? [];
        return ex.some((e) => e.Status === "SUCCESS" || e.Status === "FAILED") ? ex : undefined;
      },
      { timeoutMs: 60_000, what: "the window's execution" },
    );
    assert.equal(done.length, 1, JSON.stringify(done));
    assert.equal(done[0].Status, "SUCCESS", JSON.stringify(done));
    assert.equal(readFileSync(marks, "utf8"), "window\n", "the task ran once");
    // The lease moved to a survivor.
    const moved = await view.leaseHolderPid();
    assert.ok(moved !== undefined && moved !== pid && replicas.some((r) => r.process.pid === moved), `lease holder after: ${moved}`);
  });
});

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DescribeInstanceInformationCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { awsCli, eventually, startServer, type TestServer } from "../harness/index.js";
import { type Activation, AgentProcess, alive, createActivation, invocationDone, launchAgent, stopAllAgents } from "./agent-support.js";

/** The process group of a process (field 5 of /proc/<pid>/stat). */
function processGroup(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

describe("openssm-agent: killed and restarted mid-command, deregistered", () => {
  let server: TestServer;
  let act: Activation;
  const dirs: string[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "openssm-agent-resilience-"));

  before(async () => {
    server = await startServer({ args: ["--agent-poll-seconds", "2"] });
    act = await createActivation(server);
  });
  after(async () => {
    await stopAllAgents(dirs);
    rmSync(scratch, { recursive: true, force: true });
    await server?.destroy();
  });

  for (const t of ["mgs", "poll"] as const) {
    test(`${t}: SIGKILL mid-command, restart: the command finishes once, nothing lost, nothing repeated`, async () => {
      let agent = await launchAgent(server, act, t);
      dirs.push(agent.dataDir);
      const marker = join(scratch, `marker-${t}`);
      const sent = await server.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWS-RunShellScript",
          InstanceIds: [agent.instanceId],
          Parameters: { commands: [`echo started >> ${marker}`, "echo one", "sleep 4", "echo two"] },
        }),
      );
      const id = sent.Command!.CommandId!;
      await invocationDone(server, id, agent.instanceId, { until: (i) => i.Status === "InProgress" && i.StandardOutputContent === "one\n" });
      await agent.kill("SIGKILL");
      agent = new AgentProcess(agent.dataDir, agent.instanceId, t).start();
      const done = await invocationDone(server, id, agent.instanceId, { timeoutMs: 40_000 });
      assert.equal(done.Status, "Success");
      assert.equal(done.StandardOutputContent, "one\ntwo\n");
      assert.equal(readFileSync(marker, "utf8"), "started\n", "the script started exactly once");
      assert.match(agent.log(), /resuming commands interrupted by a restart/);
      // and the agent goes on with new commands
      const again = await server.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWS-RunShellScript",
          InstanceIds: [agent.instanceId],
          Parameters: { commands: [`echo second >> ${marker}`] },
        }),
      );
      assert.equal((await invocationDone(server, again.Command!.CommandId!, agent.instanceId)).Status, "Success");
      assert.equal(readFileSync(marker, "utf8"), "started\nsecond\n");
      await agent.stop();
    });
  }

  for (const t of ["auto", "poll"] as const) {
    test(`${t}: the server restarts while a command runs; its result reaches the server when it is back`, async () => {
      const agent = await launchAgent(server, act, t);
      dirs.push(agent.dataDir);
      const finished = join(scratch, `finished-${t}`);
      const sent = await server.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWS-RunShellScript",
          InstanceIds: [agent.instanceId],
          Parameters: { commands: ["echo before", "sleep 2", "echo after", `touch ${finished}`] },
        }),
      );
      const id = sent.Command!.CommandId!;
      await invocationDone(server, id, agent.instanceId, { until: (i) => (i.StandardOutputContent ?? "").includes("before") });
      await server.stop();
      await eventually(async () => existsSync(finished), { timeoutMs: 15_000, what: "the script to finish while the server is down" });
      await server.restart();
      const done = await invocationDone(server, id, agent.instanceId, { timeoutMs: 40_000 });
      assert.equal(done.Status, "Success");
      assert.equal(done.StandardOutputContent, "before\nafter\n");
      const again = await server
        .ssm()
        .send(new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [agent.instanceId], Parameters: { commands: ["echo still here"] } }));
      assert.equal((await invocationDone(server, again.Command!.CommandId!, agent.instanceId, { timeoutMs: 40_000 })).StandardOutputContent, "still here\n");
      await agent.stop();
    });
  }

  test("exit 194 with --reboot-command: the machine reboots (here: the agent is stopped and started again), then the step runs again", async () => {
    // the "reboot" stops the agent (its parent); the test then starts it again, as the machine would
    let agent = await launchAgent(server, act, "mgs", { args: ["--reboot-command", "kill -TERM $PPID"] });
    dirs.push(agent.dataDir);
    const marker = join(scratch, "rebooted");
    const sent = await server.ssm().send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        InstanceIds: [agent.instanceId],
        Parameters: { commands: [`if [ -f ${marker} ]; then echo after the reboot; else touch ${marker}; echo rebooting; exit 194; fi`] },
      }),
    );
    const id = sent.Command!.CommandId!;
    await eventually(async () => agent.exited, { timeoutMs: 15_000, what: `the agent to stop for the reboot:\n${agent.log()}` });
    const meanwhile = await invocationDone(server, id, agent.instanceId, { until: () => true });
    assert.equal(meanwhile.Status, "InProgress", "SuccessAndReboot is not final");
    agent = new AgentProcess(agent.dataDir, agent.instanceId, "mgs", ["--reboot-command", "kill -TERM $PPID"]).start();
    const done = await invocationDone(server, id, agent.instanceId, { timeoutMs: 40_000 });
    assert.equal(done.Status, "Success");
    assert.equal(done.StandardOutputContent, "rebooting\nafter the reboot\n");
    await agent.stop();
  });

  test("a step whose process died with the agent is reported failed after the restart, as AWS's agent does", async () => {
    let agent = await launchAgent(server, act, "mgs");
    dirs.push(agent.dataDir);
    const pidFile = join(scratch, "lost.pid");
    const sent = await server.ssm().send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        InstanceIds: [agent.instanceId],
        Parameters: { commands: [`echo $$ > ${pidFile}`, "echo working", "sleep 60"] },
      }),
    );
    const id = sent.Command!.CommandId!;
    await invocationDone(server, id, agent.instanceId, { until: (i) => (i.StandardOutputContent ?? "").includes("working") });
    const pid = Number(readFileSync(pidFile, "utf8"));
    await agent.kill("SIGKILL");
    process.kill(-processGroup(pid), "SIGKILL");
    await eventually(async () => !alive(pid), { what: "the script to die" });
    agent = new AgentProcess(agent.dataDir, agent.instanceId, "mgs").start();
    const done = await invocationDone(server, id, agent.instanceId, { timeoutMs: 40_000 });
    assert.equal(done.Status, "Failed");
    assert.equal(done.StandardOutputContent, "working\n");
    assert.match(done.StandardErrorContent ?? "", /document process failed unexpectedly/);
    await agent.stop();
  });

  test("DeregisterManagedInstance locks the node out: its channel closes, its calls fail", async () => {
    const mgs = await launchAgent(server, act, "mgs", { args: ["--health-interval", "1"] });
    const poll = await launchAgent(server, act, "poll", { args: ["--health-interval", "1"] });
    dirs.push(mgs.dataDir, poll.dataDir);
    for (const a of [mgs, poll]) {
      const r = await awsCli(server, ["ssm", "deregister-managed-instance", "--instance-id", a.instanceId]);
      assert.equal(r.code, 0, r.stderr);
    }
    await eventually(async () => /control channel closed/.test(mgs.log()), { timeoutMs: 15_000, what: `the control channel to close:\n${mgs.log()}` });
    await eventually(async () => /cannot open the control channel; retrying/.test(mgs.log()), { timeoutMs: 20_000, what: `reconnects to fail:\n${mgs.log()}` });
    await eventually(async () => /GetMessages failed; retrying|UpdateInstanceInformation failed/.test(poll.log()), {
      timeoutMs: 20_000,
      what: `polls to fail:\n${poll.log()}`,
    });
    const listed = await server.ssm().send(new DescribeInstanceInformationCommand({}));
    const ids = (listed.InstanceInformationList ?? []).map((i) => i.InstanceId);
    assert.ok(!ids.includes(mgs.instanceId) && !ids.includes(poll.instanceId), "deregistered nodes are gone");
    const refused = await server
      .ssm()
      .send(new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [mgs.instanceId], Parameters: { commands: ["true"] } }))
      .catch((e) => e);
    assert.equal(refused.name, "InvalidInstanceId");
    assert.ok(!mgs.exited && !poll.exited, "the agents keep running (and retrying), as AWS's does");
    assert.ok(existsSync(join(mgs.dataDir, "identity.json")));
  });
});

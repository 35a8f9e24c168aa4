import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ListCommandsCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { awsCli, eventually, startServer, type TestServer } from "../harness/index.js";
import { type AgentProcess, alive, createActivation, invocationDone, invocationsDone, launchAgent, stopAllAgents } from "./agent-support.js";

describe("openssm-agent: rate control, MaxErrors and CancelCommand with real agents", () => {
  let server: TestServer;
  const agents: AgentProcess[] = [];
  const scratch = mkdtempSync(join(tmpdir(), "openssm-agent-control-"));

  before(async () => {
    server = await startServer({ args: ["--agent-poll-seconds", "2"] });
    const act = await createActivation(server);
    const transports = ["mgs", "poll", "mgs", "poll"] as const;
    for (const [i, t] of transports.entries()) agents.push(await launchAgent(server, act, t, { name: `ctl-${i + 1}` }));
    for (const a of agents) {
      const r = await awsCli(server, [
        "ssm",
        "add-tags-to-resource",
        "--resource-type",
        "ManagedInstance",
        "--resource-id",
        a.instanceId,
        "--tags",
        "Key=Fleet,Value=rollout",
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await stopAllAgents(agents.map((a) => a.dataDir));
    rmSync(scratch, { recursive: true, force: true });
    await server?.destroy();
  });

  test("MaxConcurrency 1 and MaxErrors 1: the rollout stops after the second failure", async () => {
    const log = join(scratch, "rollout.log");
    const sent = await awsCli(server, [
      "ssm",
      "send-command",
      "--document-name",
      "AWS-RunShellScript",
      "--targets",
      "Key=tag:Fleet,Values=rollout",
      "--max-concurrency",
      "1",
      "--max-errors",
      "1",
      "--parameters",
      JSON.stringify({ commands: [`echo "start $(hostname) $$" >> ${log}`, "sleep 0.3", `echo "end $$" >> ${log}`, "exit 1"] }),
    ]);
    assert.equal(sent.code, 0, sent.stderr);
    const id = sent.json.Command.CommandId as string;
    assert.equal(sent.json.Command.TargetCount, 4);
    const ssm = server.ssm();
    const cmd = await eventually(
      async () => {
        const c = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.[0];
        return c && ["Failed", "Success", "Cancelled", "TimedOut"].includes(c.Status ?? "") ? c : undefined;
      },
      { timeoutMs: 60_000, what: "the command to finish" },
    );
    assert.equal(cmd.Status, "Failed");
    assert.equal(cmd.ErrorCount, 2);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    assert.equal(lines.length, 4, `two nodes ran the script, one after the other:\n${lines.join("\n")}`);
    assert.match(lines[0], /^start /);
    assert.match(lines[1], /^end /);
    assert.match(lines[2], /^start /);
    assert.match(lines[3], /^end /);
    const invocations = await invocationsDone(server, id, 60_000);
    assert.equal(invocations.filter((i) => i.StatusDetails === "Failed").length, 2);
    assert.equal(invocations.filter((i) => i.CommandPlugins?.[0]?.ResponseCode === 1).length, 2, "only two nodes ran it");
  });

  for (const t of ["mgs", "poll"] as const) {
    test(`${t}: CancelCommand kills the running script's process tree`, async () => {
      const agent = agents.find((a) => a.transport === t)!;
      const pidFile = join(scratch, `sleep-${t}.pid`);
      const sent = await server.ssm().send(
        new SendCommandCommand({
          DocumentName: "AWS-RunShellScript",
          InstanceIds: [agent.instanceId],
          Parameters: { commands: ["echo sleeping", `sleep 60 & echo $! > ${pidFile}`, "wait"] },
        }),
      );
      const id = sent.Command!.CommandId!;
      await invocationDone(server, id, agent.instanceId, { until: (i) => i.Status === "InProgress" && (i.StandardOutputContent ?? "").includes("sleeping") });
      const pid = await eventually(async () => (existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8")) : undefined), { what: "the sleep's pid" });
      assert.ok(alive(pid), "sleep 60 runs");
      const cancel = await awsCli(server, ["ssm", "cancel-command", "--command-id", id]);
      assert.equal(cancel.code, 0, cancel.stderr);
      const done = await invocationDone(server, id, agent.instanceId);
      assert.equal(done.Status, "Cancelled");
      await eventually(async () => !alive(pid), { what: `sleep (pid ${pid}) to be gone` });
    });
  }
});

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, SendAutomationSignalCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentProcess, createActivation, launchAgent, stopAllAgents } from "./agent-support.js";
import { createRunbook, getExecution, start, waitFor } from "./automation-support.js";

/** kill -9 of the server in the middle of each kind of step: the execution resumes, no finished step runs again. */
describe("automation: durable across kill -9", () => {
  let server: TestServer;
  let agent: AgentProcess;
  const dir = mkdtempSync(join(tmpdir(), "openssm-automation-"));

  before(async () => {
    server = await startServer({ testClock: true });
    agent = await launchAgent(server, await createActivation(server), "mgs", { args: ["--health-interval", "60"] });
  });
  after(async () => {
    await stopAllAgents([agent?.dataDir].filter(Boolean) as string[]);
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  async function crash(): Promise<void> {
    await server.kill();
    await server.restart();
  }

  it("resumes after a crash during runCommand, sleep, approve, executeScript and pause", async () => {
    const ssm = () => server.ssm();
    const log = join(dir, "runs.log");
    await createRunbook(ssm(), "Durable", {
      schemaVersion: "0.3",
      parameters: { Approver: { type: "String" } },
      mainSteps: [
        {
          name: "command",
          action: "aws:runCommand",
          inputs: {
            DocumentName: "AWS-RunShellScript",
            InstanceIds: [agent.instanceId],
            Parameters: { commands: [`echo command >> ${log}`, "sleep 3", "echo finished"] },
          },
        },
        { name: "nap", action: "aws:sleep", inputs: { Duration: "PT2H" } },
        { name: "gate", action: "aws:approve", inputs: { Approvers: ["{{ Approver }}"] } },
        {
          name: "script",
          action: "aws:executeScript",
          inputs: {
            Runtime: "python3.11",
            Handler: "h",
            Script: `import time\ndef h(e, c):\n    open(${JSON.stringify(log)}, 'a').write('script\\n')\n    time.sleep(3)\n    return {'done': True}\n`,
          },
        },
        { name: "hold", action: "aws:pause", inputs: {} },
        {
          name: "record",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "PutParameter", Name: "/durable/{{ automation:EXECUTION_ID }}", Value: "x", Type: "String" },
        },
      ],
    });
    await createRunbook(ssm(), "Who", { schemaVersion: "0.3", mainSteps: [{ name: "p", action: "aws:pause" }] });
    const adminArn = (await getExecution(ssm(), await start(ssm(), { DocumentName: "Who" }))).ExecutedBy as string;
    const id = await start(ssm(), { DocumentName: "Durable", Parameters: { Approver: [adminArn] } });
    const stepIs = (name: string, status: string) => (e: Awaited<ReturnType<typeof getExecution>>) =>
      e.StepExecutions?.some((s) => s.StepName === name && s.StepStatus === status) ?? false;

    // 1. While the command runs on the node.
    await waitFor(server, id, (e) => stepIs("command", "InProgress")(e) && readFileSync(log, "utf8").includes("command"), { what: "the command running" });
    await crash();
    // 2. While sleeping.
    await waitFor(server, id, stepIs("nap", "InProgress"), {
      timeoutMs: 60_000,
      what: "the sleep (the agent reconnects and replies; this replica wakes the execution at once)",
    });
    await crash();
    await server.advanceClock(7201);
    // 3. While waiting for approval.
    await waitFor(server, id, stepIs("gate", "Waiting"), { timeoutMs: 60_000, what: "the approval" });
    await crash();
    await server.ssm().send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve" }));
    // 4. While the script runs.
    await waitFor(server, id, (e) => stepIs("script", "InProgress")(e) && readFileSync(log, "utf8").includes("script"), {
      timeoutMs: 60_000,
      what: "the script",
    });
    await crash();
    // 5. While paused (the interrupted script runs again once the killed process's execution lease, 10 s, has expired).
    await waitFor(server, id, stepIs("hold", "Waiting"), { timeoutMs: 60_000, what: "the pause" });
    await crash();
    await server.ssm().send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Resume", Payload: { StepName: ["hold"] } }));

    const e = await waitFor(server, id, undefined, { timeoutMs: 60_000 });
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.deepEqual(
      e.StepExecutions?.map((s) => [s.StepName, s.StepStatus]),
      ["command", "nap", "gate", "script", "hold", "record"].map((n) => [n, "Success"]),
      "each step ran once",
    );
    const lines = readFileSync(log, "utf8").trim().split("\n");
    assert.equal(lines.filter((l) => l === "command").length, 1, "the command was sent once");
    // A script interrupted by the crash is run again (it had not finished); it then finished once.
    assert.ok(lines.filter((l) => l === "script").length >= 1);
    assert.equal((await server.ssm().send(new GetParameterCommand({ Name: `/durable/${id}` }))).Parameter?.Value, "x");
  });
});

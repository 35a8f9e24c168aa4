import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type AutomationExecution, GetParameterCommand, SendAutomationSignalCommand } from "@aws-sdk/client-ssm";
import { allowAll, createUser, startServer, type TestServer, type TestUser, testEngine } from "../harness/index.js";
import { createRunbook, start, stepsByName, waitFor } from "./automation-support.js";

/** Each step writes at most once: a PutParameter without Overwrite fails the execution if the step ran again. */
function gated(name: string) {
  return {
    schemaVersion: "0.3",
    mainSteps: [
      {
        name: "one",
        action: "aws:executeAwsApi",
        inputs: { Service: "ssm", Api: "PutParameter", Name: `/${name}/{{ automation:EXECUTION_ID }}/one`, Value: "1", Type: "String" },
      },
      { name: "nap", action: "aws:sleep", inputs: { Duration: "PT1H" } },
      { name: "gate", action: "aws:approve", inputs: { Approvers: ["replica-approver"] } },
      {
        name: "two",
        action: "aws:executeAwsApi",
        inputs: { Service: "ssm", Api: "PutParameter", Name: `/${name}/{{ automation:EXECUTION_ID }}/two`, Value: "2", Type: "String" },
      },
    ],
  };
}

function assertRanOnce(e: AutomationExecution, names: string[]): void {
  assert.equal(e.AutomationExecutionStatus, "Success", `${e.AutomationExecutionId}: ${e.FailureMessage}`);
  assert.deepEqual(
    e.StepExecutions?.map((s) => [s.StepName, s.StepStatus]),
    names.map((n) => [n, "Success"]),
    "each step ran once",
  );
}

/** Two replicas on one PostgreSQL database: every step of an execution runs once, whichever replica runs it, and one replica's death loses nothing. */
describe("automation across replicas (PostgreSQL)", { skip: testEngine !== "postgres" && "several replicas need PostgreSQL" }, () => {
  let first: TestServer;
  let second: TestServer;
  let approver: TestUser;
  const dir = mkdtempSync(join(tmpdir(), "openssm-automation-replicas-"));

  before(async () => {
    first = await startServer({ testClock: true });
    second = await startServer({ testClock: true, databaseUrl: first.databaseUrl, masterKey: first.masterKey, admin: first.admin });
    approver = await createUser(first, "replica-approver", [allowAll]);
  });
  after(async () => {
    await second?.stop();
    await first?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  test("executions started on both replicas, woken by both and signalled through both, run each step once", async () => {
    await createRunbook(first.ssm(), "ReplicaGate", gated("both"));
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await start((i % 2 ? second : first).ssm(), { DocumentName: "ReplicaGate" }));
    for (const id of ids) await waitFor(second, id, (e) => stepsByName(e).get("nap")?.StepStatus === "InProgress");
    // Both replicas' clocks pass the wake time; only one scheduler holds the lease, either may advance an execution.
    await Promise.all([first.advanceClock(3601), second.advanceClock(3601)]);
    for (const id of ids) await waitFor(first, id, (e) => e.AutomationExecutionStatus === "Waiting", { timeoutMs: 60_000 });
    // The same approval through both replicas at once: each kicks the execution on its own replica.
    await Promise.all(
      ids.flatMap((id) =>
        [first, second].map((s) =>
          s
            .ssm(approver)
            .send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve" }))
            .catch((e: Error) => assert.equal(e.name, "InvalidAutomationSignalException")),
        ),
      ),
    );
    for (const id of ids) {
      const e = await waitFor(second, id, undefined, { timeoutMs: 60_000 });
      assertRanOnce(e, ["one", "nap", "gate", "two"]);
      assert.equal((await second.ssm().send(new GetParameterCommand({ Name: `/both/${id}/two` }))).Parameter?.Value, "2");
    }
  });

  test("replica A killed -9 mid-wait and mid-step: B takes over once the leases expire, and no finished step runs again", async () => {
    const log = join(dir, "script.log");
    await createRunbook(first.ssm(), "ReplicaKill", gated("killed"));
    await createRunbook(first.ssm(), "ReplicaScript", {
      schemaVersion: "0.3",
      mainSteps: [
        {
          name: "one",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "PutParameter", Name: "/script/{{ automation:EXECUTION_ID }}", Value: "1", Type: "String" },
        },
        {
          name: "script",
          action: "aws:executeScript",
          inputs: {
            Runtime: "python3.11",
            Handler: "h",
            Script: `import time\ndef h(e, c):\n    open(${JSON.stringify(log)}, 'a').write('script\\n')\n    time.sleep(4)\n    return {}\n`,
          },
        },
        { name: "two", action: "aws:sleep", inputs: { Duration: "PT0S" } },
      ],
    });
    const waiting = await start(first.ssm(), { DocumentName: "ReplicaKill" });
    const scripted = await start(first.ssm(), { DocumentName: "ReplicaScript" });
    await waitFor(second, waiting, (e) => stepsByName(e).get("nap")?.StepStatus === "InProgress");
    // A holds the running script's execution (its lease) when it dies.
    await waitFor(second, scripted, (e) => stepsByName(e).get("script")?.StepStatus === "InProgress" && readFileSync(log, "utf8").includes("script"), {
      what: "the script running on A",
    });
    await first.kill();

    // The script had not finished on A: B runs it again after the execution's lease expired; the step before it ran once.
    assertRanOnce(await waitFor(second, scripted, undefined, { timeoutMs: 60_000, what: "B to finish the script A held" }), ["one", "script", "two"]);
    // Then the sleep A was waiting on: B's clock passes it.
    await second.advanceClock(3601);
    await waitFor(second, waiting, (e) => e.AutomationExecutionStatus === "Waiting", {
      timeoutMs: 60_000,
      what: "B to wake the sleep after A's scheduler lease expired",
    });
    await second.ssm(approver).send(new SendAutomationSignalCommand({ AutomationExecutionId: waiting, SignalType: "Approve" }));
    assertRanOnce(await waitFor(second, waiting, undefined, { timeoutMs: 60_000 }), ["one", "nap", "gate", "two"]);

    assert.equal(readFileSync(log, "utf8").trim().split("\n").length, 2, "the script A never finished ran once more, on B");
  });
});

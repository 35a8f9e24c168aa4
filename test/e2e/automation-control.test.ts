import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateMaintenanceWindowCommand,
  DescribeAutomationExecutionsCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowExecutionTaskInvocationsCommand,
  DescribeMaintenanceWindowExecutionTasksCommand,
  GetMaintenanceWindowCommand,
  GetParameterCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  SendAutomationSignalCommand,
  StartAutomationExecutionCommand,
  StopAutomationExecutionCommand,
} from "@aws-sdk/client-ssm";
import { eventually, startServer, type TestServer } from "../harness/index.js";
import { createRunbook, getExecution, start, stepsByName, waitFor } from "./automation-support.js";
import { openssm } from "./security-helpers.js";

async function serverNow(server: TestServer): Promise<number> {
  const r = await fetch(`${server.endpoint}/_openssm/clock`, { method: "POST", body: "{}" });
  return ((await r.json()) as { now: number }).now * 1000;
}

/** StopStep, onCancel, TargetMaps, maxAttempts, and a maintenance window's AUTOMATION task. */
describe("automation: stopping, cancelling, target maps, retries, maintenance windows", () => {
  let server: TestServer;
  const dir = mkdtempSync(join(tmpdir(), "openssm-automation-control-"));

  before(async () => {
    server = await startServer({ testClock: true });
  });
  after(async () => {
    await server?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("StopStep cancels the running step; a non-critical step with onFailure Continue goes on; a stopped step takes no second StopStep", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "Stoppable", {
      schemaVersion: "0.3",
      mainSteps: [
        { name: "nap", action: "aws:sleep", inputs: { Duration: "PT6H" }, onFailure: "Continue", isCritical: false },
        { name: "after", action: "aws:sleep", inputs: { Duration: "PT0S" } },
      ],
    });
    const id = await start(ssm, { DocumentName: "Stoppable" });
    const running = await waitFor(server, id, (e) => stepsByName(e).get("nap")?.StepStatus === "InProgress");
    const napId = stepsByName(running).get("nap")?.StepExecutionId as string;
    await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "StopStep", Payload: { StepExecutionId: [napId] } }));
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.equal(stepsByName(e).get("nap")?.StepStatus, "Cancelled");
    assert.match(stepsByName(e).get("nap")?.FailureMessage ?? "", /StopStep/);
    assert.equal(stepsByName(e).get("after")?.StepStatus, "Success");

    // Without onFailure the stopped step ends the execution; a step that ended takes no StopStep.
    await createRunbook(ssm, "StopAborts", {
      schemaVersion: "0.3",
      mainSteps: [
        { name: "nap", action: "aws:sleep", inputs: { Duration: "PT6H" } },
        { name: "never", action: "aws:sleep", inputs: { Duration: "PT0S" } },
      ],
    });
    const aborted = await start(ssm, { DocumentName: "StopAborts" });
    const r = await waitFor(server, aborted, (x) => stepsByName(x).get("nap")?.StepStatus === "InProgress");
    const step = stepsByName(r).get("nap")?.StepExecutionId as string;
    await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: aborted, SignalType: "StopStep", Payload: { StepExecutionId: [step] } }));
    const a = await waitFor(server, aborted);
    assert.equal(a.AutomationExecutionStatus, "Cancelled");
    assert.equal(stepsByName(a).get("never"), undefined);
    await assert.rejects(
      ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "StopStep", Payload: { StepExecutionId: [napId] } })),
      { name: "InvalidAutomationSignalException" },
    );
    await assert.rejects(
      ssm.send(
        new SendAutomationSignalCommand({
          AutomationExecutionId: aborted,
          SignalType: "StopStep",
          Payload: { StepExecutionId: ["00000000-0000-0000-0000-000000000000"] },
        }),
      ),
      (err: Error) => err.name === "AutomationStepNotFoundException" || err.name === "InvalidAutomationSignalException",
    );
  });

  it("StopAutomationExecution Cancel runs the interrupted step's onCancel step, then ends Cancelled", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "CleansUp", {
      schemaVersion: "0.3",
      mainSteps: [
        { name: "nap", action: "aws:sleep", inputs: { Duration: "PT6H" }, onCancel: "step:cleanup" },
        { name: "work", action: "aws:sleep", inputs: { Duration: "PT0S" }, isEnd: true },
        {
          name: "cleanup",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "PutParameter", Name: "/cleanup/{{ automation:EXECUTION_ID }}", Value: "cleaned", Type: "String" },
        },
      ],
    });
    const id = await start(ssm, { DocumentName: "CleansUp" });
    await waitFor(server, id, (e) => stepsByName(e).get("nap")?.StepStatus === "InProgress");
    await ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: id, Type: "Cancel" }));
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Cancelled");
    assert.deepEqual(
      e.StepExecutions?.map((s) => [s.StepName, s.StepStatus]),
      [
        ["nap", "Cancelled"],
        ["cleanup", "Success"],
      ],
    );
    assert.equal((await ssm.send(new GetParameterCommand({ Name: `/cleanup/${id}` }))).Parameter?.Value, "cleaned");

    // Cancelling a step without onCancel runs nothing more.
    const plain = await start(ssm, { DocumentName: "Stoppable" });
    await waitFor(server, plain, (x) => stepsByName(x).get("nap")?.StepStatus === "InProgress");
    await ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: plain }));
    const p = await waitFor(server, plain);
    assert.equal(p.AutomationExecutionStatus, "Cancelled");
    assert.deepEqual(
      p.StepExecutions?.map((s) => s.StepName),
      ["nap"],
    );
  });

  it("TargetMaps: one child execution per map with the map's parameters", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "MapWriter", {
      schemaVersion: "0.3",
      parameters: { Key: { type: "String" }, Value: { type: "String", default: "unset" } },
      mainSteps: [
        {
          name: "put",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "PutParameter", Name: "/maps/{{ Key }}", Value: "{{ Value }}", Type: "String" },
        },
      ],
    });
    const id = await start(ssm, {
      DocumentName: "MapWriter",
      TargetMaps: [{ Key: ["one"], Value: ["1"] }, { Key: ["two"], Value: ["2"] }, { Key: ["three"] }],
      MaxConcurrency: "2",
    });
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.equal(e.TargetMaps?.length, 3);
    const kids = await ssm.send(new DescribeAutomationExecutionsCommand({ Filters: [{ Key: "ParentExecutionId", Values: [id] }] }));
    assert.equal(kids.AutomationExecutionMetadataList?.length, 3);
    assert.ok(kids.AutomationExecutionMetadataList?.every((k) => k.AutomationExecutionStatus === "Success"));
    for (const [key, value] of [
      ["one", "1"],
      ["two", "2"],
      ["three", "unset"],
    ]) {
      assert.equal((await ssm.send(new GetParameterCommand({ Name: `/maps/${key}` }))).Parameter?.Value, value);
    }
    await assert.rejects(
      ssm.send(
        new StartAutomationExecutionCommand({
          DocumentName: "MapWriter",
          TargetMaps: [{ Key: ["x"] }],
          Targets: [{ Key: "ParameterValues", Values: ["a"] }],
          TargetParameterName: "Key",
        }),
      ),
      (err: Error) => err.name === "InvalidAutomationExecutionParametersException" && /TargetMaps, not both/.test(err.message),
    );
    // Each map must give what the runbook requires.
    await assert.rejects(
      ssm.send(new StartAutomationExecutionCommand({ DocumentName: "MapWriter", TargetMaps: [{ Key: ["x"] }, { Value: ["y"] }] })),
      (err: Error) => err.name === "InvalidAutomationExecutionParametersException" && /TargetMaps\[1\].*Key/.test(err.message),
    );
  });

  it("maxAttempts retries a failed step: every attempt is an audited API call; a step that passes on a retry is Success", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "Retries", {
      schemaVersion: "0.3",
      mainSteps: [{ name: "read", action: "aws:executeAwsApi", inputs: { Service: "ssm", Api: "GetParameter", Name: "/retries/missing" }, maxAttempts: 3 }],
    });
    const id = await start(ssm, { DocumentName: "Retries" });
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Failed");
    assert.match(stepsByName(e).get("read")?.FailureMessage ?? "", /ParameterNotFound/);
    const calls = await eventually(
      async () => {
        const r = await openssm(server, ["audit", "--json", "--operation", "GetParameter", "--limit", "1000"]);
        assert.equal(r.code, 0, r.stderr);
        const mine = (r.json as { sourceIp: string; errorCode: string | null; parameters: { Name?: string } }[]).filter(
          (x) => x.sourceIp === `automation:${id}`,
        );
        return mine.length >= 3 ? mine : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: "three audited attempts" },
    );
    assert.equal(calls.length, 3, "three attempts, no more");
    assert.ok(calls.every((c) => c.errorCode === "ParameterNotFound" && c.parameters.Name === "/retries/missing"));

    // Fails twice, then passes: one step execution, Success.
    const counter = join(dir, "attempts");
    await createRunbook(ssm, "Flaky", {
      schemaVersion: "0.3",
      mainSteps: [
        {
          name: "flaky",
          action: "aws:executeScript",
          maxAttempts: 3,
          inputs: {
            Runtime: "python3.11",
            Handler: "h",
            Script: [
              "def h(events, context):",
              `    with open(${JSON.stringify(counter)}, 'a') as f:`,
              "        f.write('x')",
              `    n = len(open(${JSON.stringify(counter)}).read())`,
              "    if n < 3:",
              "        raise Exception('attempt %d fails' % n)",
              "    return {'attempts': n}",
            ].join("\n"),
          },
          outputs: [{ Name: "Attempts", Selector: "$.Payload.attempts", Type: "Integer" }],
        },
      ],
    });
    const flaky = await waitFor(server, await start(ssm, { DocumentName: "Flaky" }), undefined, { timeoutMs: 60_000 });
    assert.equal(flaky.AutomationExecutionStatus, "Success", flaky.FailureMessage);
    assert.equal(flaky.StepExecutions?.length, 1);
    assert.deepEqual(stepsByName(flaky).get("flaky")?.Outputs?.Attempts, ["3"]);
    assert.equal(readFileSync(counter, "utf8"), "xxx");
  });

  it("a maintenance window's AUTOMATION task starts the runbook when the window opens, with its pseudo-parameters", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "WindowWork", {
      schemaVersion: "0.3",
      parameters: { Marker: { type: "String" } },
      mainSteps: [
        { name: "wait", action: "aws:sleep", inputs: { Duration: "PT5M" } },
        {
          name: "put",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "PutParameter", Name: "/window/{{ Marker }}", Value: "{{ automation:EXECUTION_ID }}", Type: "String" },
        },
      ],
    });
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "automation-window", Schedule: "rate(1 day)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: true }),
    );
    const windowId = String(WindowId);
    await ssm.send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId: windowId,
        TaskType: "AUTOMATION",
        TaskArn: "WindowWork",
        Priority: 1,
        MaxConcurrency: "1",
        MaxErrors: "0",
        TaskInvocationParameters: { Automation: { Parameters: { Marker: ["{{WINDOW_EXECUTION_ID}}"] } } },
      }),
    );
    // A runbook that does not exist is refused when the task is registered.
    await assert.rejects(
      ssm.send(
        new RegisterTaskWithMaintenanceWindowCommand({
          WindowId: windowId,
          TaskType: "AUTOMATION",
          TaskArn: "NoSuchRunbook",
          MaxConcurrency: "1",
          MaxErrors: "0",
        }),
      ),
      { name: "DoesNotExistException" },
    );

    const w = await ssm.send(new GetMaintenanceWindowCommand({ WindowId: windowId }));
    await server.advanceClock(Math.ceil((Date.parse(String(w.NextExecutionTime)) - (await serverNow(server))) / 1000) + 1);
    const windowExecutionId = await eventually(
      async () => (await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId }))).WindowExecutions?.[0]?.WindowExecutionId,
      { what: "the window to open" },
    );
    const task = await eventually(
      async () =>
        (await ssm.send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: windowExecutionId }))).WindowExecutionTaskIdentities?.[0],
      { what: "the task to start" },
    );
    const invocation = await eventually(
      async () =>
        (
          await ssm.send(
            new DescribeMaintenanceWindowExecutionTaskInvocationsCommand({ WindowExecutionId: windowExecutionId, TaskId: String(task.TaskExecutionId) }),
          )
        ).WindowExecutionTaskInvocationIdentities?.find((i) => i.ExecutionId),
      { what: "the invocation to start its execution" },
    );
    const executionId = String(invocation.ExecutionId);
    const running = await waitFor(server, executionId, (e) => stepsByName(e).get("wait")?.StepStatus === "InProgress");
    assert.deepEqual(running.Parameters?.Marker, [windowExecutionId]);
    assert.equal(invocation.TaskType, "AUTOMATION");
    // The window's task waits for the execution, which waits for the clock.
    await server.advanceClock(301);
    const done = await waitFor(server, executionId);
    assert.equal(done.AutomationExecutionStatus, "Success", done.FailureMessage);
    assert.equal((await ssm.send(new GetParameterCommand({ Name: `/window/${windowExecutionId}` }))).Parameter?.Value, executionId);
    const finished = await eventually(
      async () => {
        await server.advanceClock(1);
        const r = await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId }));
        const ex = r.WindowExecutions?.[0];
        return ex?.Status === "SUCCESS" ? ex : undefined;
      },
      { what: "the window execution to succeed", intervalMs: 500 },
    );
    assert.equal(finished.WindowExecutionId, windowExecutionId);
    assert.equal((await getExecution(ssm, executionId)).DocumentName, "WindowWork");
  });
});

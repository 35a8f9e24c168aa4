import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateDocumentCommand,
  DescribeAutomationExecutionsCommand,
  DescribeAutomationStepExecutionsCommand,
  GetParameterCommand,
  PutParameterCommand,
  SendAutomationSignalCommand,
  StartAutomationExecutionCommand,
  StopAutomationExecutionCommand,
} from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";
import { createRunbook, getExecution, start, stepsByName, waitFor } from "./automation-support.js";

/** The engine on the server alone: references, outputs, branch, loop, variables, sleep, approve, scripts, API calls. */
describe("automation: the engine", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ testClock: true });
  });
  after(async () => server?.destroy());

  it("runs executeAwsApi → branch → loop → updateVariable → executeScript to Success, every step visible", async () => {
    const ssm = server.ssm();
    await ssm.send(new PutParameterCommand({ Name: "/app/color", Value: "blue", Type: "String" }));
    await createRunbook(ssm, "EngineFlow", {
      schemaVersion: "0.3",
      parameters: { Prefix: { type: "String", default: "/app" }, Items: { type: "StringList", default: ["a", "b", "c"] } },
      variables: { Seen: { type: "String", default: "" } },
      mainSteps: [
        {
          name: "read",
          action: "aws:executeAwsApi",
          inputs: { Service: "ssm", Api: "GetParameter", Name: "{{ Prefix }}/color" },
          outputs: [{ Name: "Color", Selector: "$.Parameter.Value", Type: "String" }],
        },
        {
          name: "choose",
          action: "aws:branch",
          inputs: {
            Choices: [
              { NextStep: "red", Variable: "{{ read.Color }}", StringEquals: "red" },
              { NextStep: "each", And: [{ Variable: "{{ read.Color }}", StartsWith: "bl" }, { Not: { Variable: "{{ read.Color }}", Contains: "x" } }] },
            ],
            Default: "red",
          },
        },
        { name: "red", action: "aws:sleep", inputs: { Duration: "PT0S" }, isEnd: true },
        {
          name: "each",
          action: "aws:loop",
          inputs: {
            Iterators: "{{ Items }}",
            Steps: [
              {
                name: "write",
                action: "aws:executeAwsApi",
                inputs: {
                  Service: "ssm",
                  Api: "PutParameter",
                  Name: "{{ Prefix }}/item-{{ each.CurrentIteratorValue }}",
                  Value: "{{ each.CurrentIteration }}",
                  Type: "String",
                  Overwrite: true,
                },
              },
              {
                name: "remember",
                action: "aws:updateVariable",
                inputs: { Name: "variable:Seen", Value: "{{ variable:Seen }}{{ each.CurrentIteratorValue }}" },
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
            InputPayload: { seen: "{{ variable:Seen }}", account: "{{ global:ACCOUNT_ID }}" },
            Script: [
              "import boto3",
              "def handler(events, context):",
              "    ssm = boto3.client('ssm')",
              "    v = ssm.get_parameter(Name='/app/item-b')['Parameter']['Value']",
              "    print('hello from the script')",
              "    return {'seen': events['seen'], 'b': v, 'exec': context['automation:EXECUTION_ID']}",
            ].join("\n"),
          },
          outputs: [
            { Name: "Seen", Selector: "$.Payload.seen", Type: "String" },
            { Name: "B", Selector: "$.Payload.b", Type: "Integer" },
          ],
        },
      ],
      outputs: ["read.Color", "script.Seen", "script.B"],
    });
    const id = await start(ssm, { DocumentName: "EngineFlow" });
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Success", e.FailureMessage);
    assert.deepEqual(e.Outputs, { "read.Color": ["blue"], "script.Seen": ["abc"], "script.B": ["2"] });
    const steps = e.StepExecutions ?? [];
    assert.deepEqual(
      steps.map((s) => s.StepName),
      ["read", "choose", "each", "write", "remember", "write", "remember", "write", "remember", "script"],
    );
    assert.ok(steps.every((s) => s.StepStatus === "Success"));
    const byName = stepsByName(e);
    assert.equal(byName.get("choose")?.NextStep, "each");
    assert.equal(byName.get("read")?.Inputs?.Name, "/app/color");
    const inner = steps.filter((s) => s.StepName === "write");
    assert.deepEqual(
      inner.map((s) => [s.ParentStepDetails?.StepName, s.ParentStepDetails?.Iteration, s.ParentStepDetails?.IteratorValue]),
      [
        ["each", 1, "a"],
        ["each", 2, "b"],
        ["each", 3, "c"],
      ],
    );
    const c = await ssm.send(new GetParameterCommand({ Name: "/app/item-c" }));
    assert.equal(c.Parameter?.Value, "3");
    assert.equal(e.Variables?.Seen?.[0], "abc");
    // Filters and ReverseOrder.
    const loopId = byName.get("each")?.StepExecutionId;
    const filtered = await ssm.send(
      new DescribeAutomationStepExecutionsCommand({
        AutomationExecutionId: id,
        Filters: [{ Key: "ParentStepExecutionId", Values: [loopId as string] }],
        ReverseOrder: true,
      }),
    );
    assert.deepEqual(
      filtered.StepExecutions?.map((s) => s.StepName),
      ["remember", "write", "remember", "write", "remember", "write"],
    );
    const listed = await ssm.send(
      new DescribeAutomationExecutionsCommand({
        Filters: [
          { Key: "DocumentNamePrefix", Values: ["Engine"] },
          { Key: "ExecutionStatus", Values: ["Success"] },
        ],
      }),
    );
    assert.ok(listed.AutomationExecutionMetadataList?.some((m) => m.AutomationExecutionId === id && m.AutomationType === "Local"));
  });

  it("sleep waits for the clock; approve waits for people: Approve passes, Reject fails; signals to a finished execution are refused", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "Gate", {
      schemaVersion: "0.3",
      parameters: { Approver: { type: "String" } },
      mainSteps: [
        { name: "nap", action: "aws:sleep", inputs: { Duration: "PT1H" } },
        {
          name: "gate",
          action: "aws:approve",
          inputs: { Approvers: ["{{ Approver }}"], Message: "ok?", NotificationArn: "arn:aws:sns:us-east-1:123456789012:approvals" },
        },
        { name: "after", action: "aws:sleep", inputs: { Duration: "PT0S" } },
      ],
    });
    const admin = await getExecution(ssm, await start(ssm, { DocumentName: "Gate", Parameters: { Approver: ["x"] } }));
    const adminArn = admin.ExecutedBy as string;
    const id = await start(ssm, { DocumentName: "Gate", Parameters: { Approver: [adminArn] } });
    await waitFor(server, id, (e) => e.StepExecutions?.[0]?.StepStatus === "InProgress");
    await server.advanceClock(3601);
    const waiting = await waitFor(server, id, (e) => e.AutomationExecutionStatus === "Waiting");
    assert.equal(stepsByName(waiting).get("gate")?.StepStatus, "Waiting");
    await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve", Payload: { Comment: ["looks good"] } }));
    const done = await waitFor(server, id);
    assert.equal(done.AutomationExecutionStatus, "Success", done.FailureMessage);
    assert.equal(stepsByName(done).get("gate")?.Outputs?.ApprovalStatus?.[0], "Approved");
    await assert.rejects(
      ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType: "Approve" })),
      (e: Error) => e.name === "InvalidAutomationSignalException",
    );

    const rejected = await start(ssm, { DocumentName: "Gate", Parameters: { Approver: [adminArn] } });
    await waitFor(server, rejected, (e) => e.StepExecutions?.[0]?.StepStatus === "InProgress");
    await server.advanceClock(3601);
    await waitFor(server, rejected, (e) => e.AutomationExecutionStatus === "Waiting");
    await ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: rejected, SignalType: "Reject", Payload: { Comment: ["not today"] } }));
    const r = await waitFor(server, rejected);
    assert.equal(r.AutomationExecutionStatus, "Failed");
    assert.match(r.FailureMessage ?? "", /gate.*Rejected by .*not today/);
    assert.equal(stepsByName(r).get("after"), undefined, "nothing runs after a rejection");

    // An approver who is not named is refused.
    await assert.rejects(
      ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: admin.AutomationExecutionId, SignalType: "Approve" })),
      (e: Error) => e.name === "InvalidAutomationSignalException",
    );
    await ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: admin.AutomationExecutionId, Type: "Cancel" }));
    const cancelled = await waitFor(server, admin.AutomationExecutionId as string);
    assert.equal(cancelled.AutomationExecutionStatus, "Cancelled");
  });

  it("refuses bad input: parameters, runbooks, EC2-only actions, foreign services", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "Typed", {
      schemaVersion: "0.3",
      parameters: { Count: { type: "Integer" }, Name: { type: "String", allowedPattern: "^[a-z]+$" } },
      mainSteps: [{ name: "s", action: "aws:executeAwsApi", inputs: { Service: "ec2", Api: "DescribeInstances" } }],
    });
    const bad = (p: Record<string, string[]>, re: RegExp) =>
      assert.rejects(
        ssm.send(new StartAutomationExecutionCommand({ DocumentName: "Typed", Parameters: p })),
        (e: Error) => e.name === "InvalidAutomationExecutionParametersException" && re.test(e.message),
      );
    await bad({ Name: ["abc"] }, /Count/);
    await bad({ Count: ["two"], Name: ["abc"] }, /Count/);
    await bad({ Count: ["2"], Name: ["ABC"] }, /Name/);
    await bad({ Count: ["2"], Name: ["abc"], Extra: ["1"] }, /Extra/);
    const id = await start(ssm, { DocumentName: "Typed", Parameters: { Count: ["2"], Name: ["abc"] } });
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Failed");
    assert.match(e.FailureMessage ?? "", /ssm, kms, sts/);
    const refuse = async (content: Record<string, unknown>, re: RegExp) =>
      assert.rejects(
        ssm.send(
          new CreateDocumentCommand({ Name: `bad-${Math.random().toString(36).slice(2)}`, DocumentType: "Automation", Content: JSON.stringify(content) }),
        ),
        (err: Error) => err.name === "InvalidDocumentContent" && re.test(err.message),
      );
    await refuse(
      { schemaVersion: "0.3", mainSteps: [{ name: "x", action: "aws:frobnicate", inputs: {} }] },
      /mainSteps\[0\]\.action.*not an automation action/,
    );
    await refuse({ schemaVersion: "0.3", mainSteps: [{ name: "x", action: "aws:sleep", inputs: { Duration: "PT1S" }, nextStep: "nope" }] }, /nextStep.*nope/);
    await refuse(
      {
        schemaVersion: "0.3",
        mainSteps: [{ name: "x", action: "aws:loop", inputs: { Steps: [{ name: "y", action: "aws:sleep", inputs: { Duration: "PT1S" } }] } }],
      },
      /no exit/,
    );
    await refuse(
      {
        schemaVersion: "0.3",
        mainSteps: [
          { name: "x", action: "aws:executeAwsApi", inputs: { Service: "ssm", Api: "GetParameter", Name: "a" } },
          { name: "y", action: "aws:sleep", inputs: { Duration: "{{ x.Missing }}" } },
        ],
      },
      /x\.Missing.*declares no outputs/,
    );
    await refuse({ schemaVersion: "0.3", mainSteps: [{ name: "x", action: "aws:runInstances", inputs: { ImageId: "ami-1" } }] }, /self-hosted/);
    await refuse({ schemaVersion: "0.3", parameters: { P: { type: "Float" } }, mainSteps: [{ name: "x", action: "aws:pause" }] }, /parameters\.P/);
  });

  it("a script that loops forever is stopped at its timeout; the server stays responsive", async () => {
    const ssm = server.ssm();
    await createRunbook(ssm, "Forever", {
      schemaVersion: "0.3",
      mainSteps: [
        {
          name: "spin",
          action: "aws:executeScript",
          timeoutSeconds: 2,
          inputs: { Runtime: "python3.11", Handler: "h", Script: "def h(e, c):\n    while True:\n        pass\n" },
        },
      ],
    });
    const started = Date.now();
    const id = await start(ssm, { DocumentName: "Forever" });
    await waitFor(server, id, (e) => e.StepExecutions?.[0]?.StepStatus === "InProgress");
    const t0 = Date.now();
    await ssm.send(new GetParameterCommand({ Name: "/app/color" }));
    assert.ok(Date.now() - t0 < 1000, "the API answers while a script runs");
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "TimedOut");
    assert.match(e.StepExecutions?.[0]?.FailureMessage ?? "", /2 s limit/);
    assert.ok(Date.now() - started < 15_000);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AddTagsToResourceCommand,
  CreateDocumentCommand,
  CreateMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowExecutionTaskInvocationsCommand,
  DescribeMaintenanceWindowExecutionTasksCommand,
  GetCommandInvocationCommand,
  GetMaintenanceWindowCommand,
  GetMaintenanceWindowExecutionCommand,
  GetMaintenanceWindowExecutionTaskCommand,
  GetMaintenanceWindowExecutionTaskInvocationCommand,
  type MaintenanceWindowExecutionTaskIdentity,
  RegisterTargetWithMaintenanceWindowCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { defaultAccountId, eventually, startServer, type TestServer } from "../harness/index.js";
import { type AgentProcess, createActivation, launchAgent, stopAllAgents } from "./agent-support.js";
import { openssm } from "./security-helpers.js";

interface AuditRecord {
  operation: string;
  sourceIp: string;
  principalArn: string | null;
  errorCode: string | null;
  parameters: { CalendarNames?: string[]; AtTime?: string; evaluatedFor?: string; State?: string };
}

/** The calendar evaluations `openssm audit` shows for one window execution. */
async function calendarEvaluations(server: TestServer, windowExecutionId: string): Promise<AuditRecord[]> {
  const r = await openssm(server, ["audit", "--json", "--operation", "GetCalendarState", "--limit", "1000"]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as AuditRecord[]).filter((a) => a.sourceIp === `maintenance-window:${windowExecutionId}`);
}

async function serverNow(server: TestServer): Promise<number> {
  const r = await fetch(`${server.endpoint}/_openssm/clock`, { method: "POST", body: "{}" });
  return ((await r.json()) as { now: number }).now * 1000;
}

/** Moves the test clock to the window's next start (and a second past it). */
async function openWindow(server: TestServer, ssm: SSMClient, windowId: string): Promise<void> {
  const w = await ssm.send(new GetMaintenanceWindowCommand({ WindowId: windowId }));
  const due = Date.parse(String(w.NextExecutionTime));
  await server.advanceClock(Math.ceil((due - (await serverNow(server))) / 1000) + 1);
}

async function executionsOf(ssm: SSMClient, windowId: string) {
  return (await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: windowId }))).WindowExecutions ?? [];
}

async function tasksOf(ssm: SSMClient, executionId: string): Promise<MaintenanceWindowExecutionTaskIdentity[]> {
  return (await ssm.send(new DescribeMaintenanceWindowExecutionTasksCommand({ WindowExecutionId: executionId }))).WindowExecutionTaskIdentities ?? [];
}

async function invocationsOf(ssm: SSMClient, executionId: string, taskId: string) {
  const r = await ssm.send(new DescribeMaintenanceWindowExecutionTaskInvocationsCommand({ WindowExecutionId: executionId, TaskId: taskId }));
  return r.WindowExecutionTaskInvocationIdentities ?? [];
}

const FINAL = ["SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING"];

describe("maintenance windows with real openssm-agent nodes", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const agents: AgentProcess[] = [];
  let ids: string[] = [];

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
    const act = await createActivation(server);
    for (let i = 0; i < 3; i++) agents.push(await launchAgent(server, act, "mgs", { name: `mw-${i}`, args: ["--health-interval", "60"] }));
    ids = agents.map((a) => a.instanceId).sort();
    for (const id of ids) {
      await ssm.send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: id, Tags: [{ Key: "Patch", Value: "weekly" }] }));
    }
  });
  after(async () => {
    await stopAllAgents(agents.map((a) => a.dataDir));
    await server?.destroy();
  });

  test("tasks run in priority order over tagged nodes, MaxErrors stops a task, nothing starts after the cutoff; the history shows it all", async () => {
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "ordered", Schedule: "rate(1 day)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false }),
    );
    const windowId = String(WindowId);
    const { WindowTargetId } = await ssm.send(
      new RegisterTargetWithMaintenanceWindowCommand({
        WindowId: windowId,
        ResourceType: "INSTANCE",
        Targets: [{ Key: "tag:Patch", Values: ["weekly"] }],
        OwnerInformation: "patch-team",
      }),
    );
    const targets = [{ Key: "WindowTargetIds", Values: [String(WindowTargetId)] }];
    const register = async (priority: number, commands: string[], maxConcurrency: string, maxErrors: string, extra: Record<string, string[]> = {}) =>
      String(
        (
          await ssm.send(
            new RegisterTaskWithMaintenanceWindowCommand({
              WindowId: windowId,
              TaskType: "RUN_COMMAND",
              TaskArn: "AWS-RunShellScript",
              Targets: targets,
              Priority: priority,
              MaxConcurrency: maxConcurrency,
              MaxErrors: maxErrors,
              // Delivery may wait past the clock's jump over the cutoff.
              TaskInvocationParameters: { RunCommand: { Parameters: { commands, ...extra }, TimeoutSeconds: 7200 } },
            }),
          )
        ).WindowTaskId,
      );
    // ids are sorted, as the task's invocations start: the middle node fails, so the third never starts.
    await register(
      1,
      [`if [ "{{RESOURCE_ID}}" = "${ids[1]}" ]; then echo boom >&2; exit 1; fi`, "echo first {{RESOURCE_ID}} {{WINDOW_EXECUTION_ID}} {{TARGET_TYPE}}"],
      "1",
      "0",
    );
    await register(2, ["echo second {{TARGET_ID}}", "sleep 4"], "3", "0", { executionTimeout: ["7200"] });
    await register(3, ["echo third"], "3", "0");

    await openWindow(server, ssm, windowId);
    const [execution] = await eventually(async () => {
      const ex = await executionsOf(ssm, windowId);
      return ex.length ? ex : undefined;
    });
    const executionId = String(execution.WindowExecutionId);
    // Once the second priority runs, move past the cutoff (start + 2 h - 1 h).
    await eventually(async () => (await tasksOf(ssm, executionId)).find((t) => t.Status === "IN_PROGRESS" && t.TaskArn && (t.StartTime ?? 0) && true), {
      what: "a task in progress",
    });
    const second = await eventually(
      async () => {
        const tasks = await tasksOf(ssm, executionId);
        return tasks.length === 3 && tasks[0].Status === "FAILED" && tasks[1].Status === "IN_PROGRESS" ? tasks : undefined;
      },
      { timeoutMs: 30_000, what: "the first task failed and the second running" },
    );
    assert.equal(second[2].Status, "PENDING");
    await server.advanceClock(3601);
    const done = await eventually(
      async () => {
        const e = await ssm.send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: executionId }));
        return FINAL.includes(String(e.Status)) ? e : undefined;
      },
      { timeoutMs: 40_000, what: "the window execution to end" },
    );
    assert.equal(done.Status, "FAILED");
    assert.equal(done.TaskIds?.length, 3);
    const tasks = await tasksOf(ssm, executionId);
    const why = async () =>
      JSON.stringify(await Promise.all(tasks.map(async (t) => [t.StatusDetails, await invocationsOf(ssm, executionId, String(t.TaskExecutionId))])));
    assert.deepEqual(
      tasks.map((t) => t.Status),
      ["FAILED", "SUCCESS", "TIMED_OUT"],
      await why(),
    );
    assert.match(String(tasks[0].StatusDetails), /more than MaxErrors \(0\); 1 target\(s\) were not started/);
    assert.match(String(tasks[2].StatusDetails), /cutoff/);
    assert.ok((tasks[1].StartTime as Date).getTime() >= (tasks[0].EndTime as Date).getTime(), "priority 2 starts after priority 1 ended");

    const first = await invocationsOf(ssm, executionId, String(tasks[0].TaskExecutionId));
    assert.deepEqual(
      first.map((i) => i.Status),
      ["SUCCESS", "FAILED"],
    );
    assert.equal(first[0].OwnerInformation, "patch-team");
    assert.equal(first[0].WindowTargetId, WindowTargetId);
    const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: first[0].ExecutionId, InstanceId: ids[0] }));
    assert.equal(out.StandardOutputContent?.trim(), `first ${ids[0]} ${executionId} INSTANCE`);
    assert.match(String(first[0].Parameters), new RegExp(`first ${ids[0]} ${executionId}`));
    const failedRun = await ssm.send(new GetCommandInvocationCommand({ CommandId: first[1].ExecutionId, InstanceId: ids[1] }));
    assert.equal(failedRun.Status, "Failed");
    assert.match(String(failedRun.StandardErrorContent), /boom/);
    const secondInv = await invocationsOf(ssm, executionId, String(tasks[1].TaskExecutionId));
    assert.equal(secondInv.length, 3);
    assert.ok(secondInv.every((i) => i.Status === "SUCCESS"));
    assert.equal((await invocationsOf(ssm, executionId, String(tasks[2].TaskExecutionId))).length, 0);
    const one = await ssm.send(
      new GetMaintenanceWindowExecutionTaskInvocationCommand({
        WindowExecutionId: executionId,
        TaskId: tasks[1].TaskExecutionId,
        InvocationId: secondInv[2].InvocationId,
      }),
    );
    assert.equal(one.Status, "SUCCESS");
    const task = await ssm.send(new GetMaintenanceWindowExecutionTaskCommand({ WindowExecutionId: executionId, TaskId: tasks[1].TaskExecutionId }));
    assert.equal(task.Priority, 2);
    assert.equal(task.MaxConcurrency, "3");
    assert.equal(task.Type, "RUN_COMMAND");
  });

  test("a start that comes while the window still runs is SKIPPED_OVERLAPPING", async () => {
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "overlap", Schedule: "rate(30 minutes)", Duration: 1, Cutoff: 0, AllowUnassociatedTargets: true }),
    );
    const windowId = String(WindowId);
    await ssm.send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId: windowId,
        TaskType: "RUN_COMMAND",
        TaskArn: "AWS-RunShellScript",
        Targets: [{ Key: "InstanceIds", Values: [ids[0]] }],
        MaxConcurrency: "1",
        MaxErrors: "0",
        TaskInvocationParameters: { RunCommand: { Parameters: { commands: ["sleep 5"], executionTimeout: ["7200"] } } },
      }),
    );
    await openWindow(server, ssm, windowId);
    const running = await eventually(async () => (await executionsOf(ssm, windowId)).find((e) => e.Status === "IN_PROGRESS"), { what: "the window running" });
    await server.advanceClock(1800);
    const skipped = await eventually(async () => (await executionsOf(ssm, windowId)).find((e) => e.Status === "SKIPPED_OVERLAPPING"), {
      what: "a skipped execution",
    });
    assert.match(String(skipped.StatusDetails), new RegExp(String(running.WindowExecutionId)));
    const finished = await eventually(
      async () => {
        const e = await ssm.send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: running.WindowExecutionId }));
        return FINAL.includes(String(e.Status)) ? e : undefined;
      },
      { timeoutMs: 30_000, what: "the running execution to end" },
    );
    assert.equal(finished.Status, "SUCCESS");
  });

  test("a closed change calendar holds a window task back; it runs once the calendar opens", async () => {
    const now = await serverNow(server);
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    await ssm.send(
      new CreateDocumentCommand({
        Name: "Freeze",
        DocumentType: "ChangeCalendar",
        Content: JSON.stringify({
          schemaVersion: "1.0",
          calendarEvents: [{ name: "freeze", type: "NOT_ALLOWED", startTime: iso(now - 3_600_000), endTime: iso(now + 3 * 3_600_000) }],
        }),
      }),
    );
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({
        Name: "gated",
        Schedule: "rate(1 hour)",
        Duration: 6,
        Cutoff: 1,
        AllowUnassociatedTargets: true,
        Tags: [{ Key: "openssm:ChangeCalendarNames", Value: "Freeze" }],
      }),
    );
    const windowId = String(WindowId);
    await ssm.send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId: windowId,
        TaskType: "RUN_COMMAND",
        TaskArn: "AWS-RunShellScript",
        Targets: [{ Key: "InstanceIds", Values: [ids[2]] }],
        MaxConcurrency: "1",
        MaxErrors: "0",
        TaskInvocationParameters: { RunCommand: { Parameters: { commands: ["echo after the freeze"], executionTimeout: ["36000"] } } },
      }),
    );
    await openWindow(server, ssm, windowId);
    const [execution] = await eventually(async () => {
      const ex = await executionsOf(ssm, windowId);
      return ex.length ? ex : undefined;
    });
    const held = await eventually(async () => {
      const [t] = await tasksOf(ssm, String(execution.WindowExecutionId));
      return t?.StatusDetails?.includes("CLOSED") ? t : undefined;
    });
    assert.equal(held.Status, "PENDING");
    assert.match(String(held.StatusDetails), /change calendar Freeze is CLOSED until/);
    // Every evaluation is in the audit trail, made by the task's identity on behalf of the window execution.
    const closed = await eventually(
      async () => (await calendarEvaluations(server, String(execution.WindowExecutionId))).find((a) => a.parameters.State === "CLOSED"),
      {
        what: "the CLOSED evaluation in the audit trail",
      },
    );
    assert.deepEqual(closed.parameters.CalendarNames, ["Freeze"]);
    assert.equal(closed.parameters.evaluatedFor, "MaintenanceWindowTask");
    assert.equal(closed.errorCode, null);
    assert.equal(closed.principalArn, `arn:aws:iam::${await defaultAccountId(server)}:user/admin`);
    // The freeze ends 3 h after it was written; the window opened about 1 h in.
    await server.advanceClock(2 * 3600 + 120);
    const done = await eventually(
      async () => {
        const e = await ssm.send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: execution.WindowExecutionId }));
        return FINAL.includes(String(e.Status)) ? e : undefined;
      },
      { timeoutMs: 30_000, what: "the gated execution to end" },
    );
    assert.equal(done.Status, "SUCCESS");
    const [t] = await tasksOf(ssm, String(execution.WindowExecutionId));
    const [inv] = await invocationsOf(ssm, String(execution.WindowExecutionId), String(t.TaskExecutionId));
    const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: inv.ExecutionId, InstanceId: ids[2] }));
    assert.equal(out.StandardOutputContent?.trim(), "after the freeze");
    const evaluations = await eventually(async () => {
      const all = await calendarEvaluations(server, String(execution.WindowExecutionId));
      return all.some((a) => a.parameters.State === "OPEN") ? all : undefined;
    });
    // Held while CLOSED, started on the first OPEN answer: nothing evaluated after it.
    assert.equal(evaluations.at(-1)?.parameters.State, "OPEN");
    assert.ok(evaluations.slice(0, -1).every((a) => a.parameters.State === "CLOSED"));
  });

  test("a server killed mid-window resumes it: the task finishes once, nothing is lost", async () => {
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "restart", Schedule: "rate(1 day)", Duration: 4, Cutoff: 1, AllowUnassociatedTargets: true }),
    );
    const windowId = String(WindowId);
    await ssm.send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId: windowId,
        TaskType: "RUN_COMMAND",
        TaskArn: "AWS-RunShellScript",
        Targets: [{ Key: "InstanceIds", Values: [ids[0], ids[1]] }],
        MaxConcurrency: "1",
        MaxErrors: "0",
        TaskInvocationParameters: { RunCommand: { Parameters: { commands: ["sleep 3", "echo resumed {{RESOURCE_ID}}"] } } },
      }),
    );
    await openWindow(server, ssm, windowId);
    const [execution] = await eventually(async () => {
      const ex = await executionsOf(ssm, windowId);
      return ex.length ? ex : undefined;
    });
    const executionId = String(execution.WindowExecutionId);
    await eventually(async () => {
      const [t] = await tasksOf(ssm, executionId);
      return t && (await invocationsOf(ssm, executionId, String(t.TaskExecutionId))).length === 1;
    });
    await server.kill();
    await server.restart();
    ssm = server.ssm();
    const done = await eventually(
      async () => {
        const e = await ssm.send(new GetMaintenanceWindowExecutionCommand({ WindowExecutionId: executionId }));
        return FINAL.includes(String(e.Status)) ? e : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: "the execution to finish after the restart" },
    );
    assert.equal(done.Status, "SUCCESS");
    const [t] = await tasksOf(ssm, executionId);
    const invs = await invocationsOf(ssm, executionId, String(t.TaskExecutionId));
    assert.deepEqual(
      invs.map((i) => i.Status),
      ["SUCCESS", "SUCCESS"],
    );
    assert.equal(new Set(invs.map((i) => i.ExecutionId)).size, 2);
    for (const [k, i] of invs.entries()) {
      const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: i.ExecutionId, InstanceId: [ids[0], ids[1]][k] }));
      assert.equal(out.StandardOutputContent?.trim(), `resumed ${[ids[0], ids[1]][k]}`);
    }
  });
});

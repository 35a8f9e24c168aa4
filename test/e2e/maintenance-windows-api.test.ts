import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateDocumentCommand,
  CreateMaintenanceWindowCommand,
  DeleteMaintenanceWindowCommand,
  DeregisterTargetFromMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowScheduleCommand,
  DescribeMaintenanceWindowsCommand,
  DescribeMaintenanceWindowsForTargetCommand,
  DescribeMaintenanceWindowTargetsCommand,
  DescribeMaintenanceWindowTasksCommand,
  GetCalendarStateCommand,
  GetMaintenanceWindowCommand,
  GetMaintenanceWindowTaskCommand,
  RegisterTargetWithMaintenanceWindowCommand,
  RegisterTaskWithMaintenanceWindowCommand,
  type SSMClient,
  UpdateMaintenanceWindowCommand,
  UpdateMaintenanceWindowTaskCommand,
} from "@aws-sdk/client-ssm";
import { awsCli, eventually, startServer, type TestServer } from "../harness/index.js";

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return { name: (e as Error).name, message: (e as Error).message };
  }
  throw new Error("expected an error");
};

/** The server's (test) clock, in ms. */
async function serverNow(server: TestServer): Promise<number> {
  const r = await fetch(`${server.endpoint}/_openssm/clock`, { method: "POST", body: "{}" });
  return ((await r.json()) as { now: number }).now * 1000;
}

describe("maintenance windows: the API without nodes", () => {
  let server: TestServer;
  let ssm: SSMClient;
  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
  });
  after(async () => server?.destroy());

  test("the issue's commands work unchanged with the aws CLI; Get/Describe show the window", async () => {
    const c = await awsCli(server, [
      "ssm",
      "create-maintenance-window",
      "--name",
      "nightly",
      "--schedule",
      "cron(0 2 ? * SUN *)",
      "--schedule-timezone",
      "Europe/Berlin",
      "--duration",
      "3",
      "--cutoff",
      "1",
      "--allow-unassociated-targets",
      "--tags",
      "Key=Team,Value=ops",
    ]);
    assert.equal(c.code, 0, c.stderr);
    const windowId = c.json.WindowId as string;
    assert.match(windowId, /^mw-[0-9a-f]{17}$/);
    const t = await awsCli(server, [
      "ssm",
      "register-target-with-maintenance-window",
      "--window-id",
      windowId,
      "--resource-type",
      "INSTANCE",
      "--targets",
      "Key=tag:Patch,Values=weekly",
    ]);
    assert.equal(t.code, 0, t.stderr);
    const targetId = t.json.WindowTargetId as string;
    const k = await awsCli(server, [
      "ssm",
      "register-task-with-maintenance-window",
      "--window-id",
      windowId,
      "--task-type",
      "RUN_COMMAND",
      "--task-arn",
      "AWS-RunShellScript",
      "--targets",
      `Key=WindowTargetIds,Values=${targetId}`,
      "--priority",
      "1",
      "--max-concurrency",
      "2",
      "--max-errors",
      "1",
      "--task-invocation-parameters",
      '{"RunCommand":{"Parameters":{"commands":["apt-get -y upgrade"]}}}',
    ]);
    assert.equal(k.code, 0, k.stderr);
    const w = await ssm.send(new GetMaintenanceWindowCommand({ WindowId: windowId }));
    assert.equal(w.Name, "nightly");
    assert.equal(w.ScheduleTimezone, "Europe/Berlin");
    assert.equal(w.Enabled, true);
    assert.equal(w.AllowUnassociatedTargets, true);
    // Sundays at 02:00 Berlin time: 01:00Z in winter, 00:00Z in summer.
    assert.match(String(w.NextExecutionTime), /T02:00\+0[12]:00$/);
    const sched = await awsCli(server, ["ssm", "describe-maintenance-window-schedule", "--window-id", windowId, "--max-results", "3"]);
    assert.equal(sched.code, 0, sched.stderr);
    const times = (sched.json.ScheduledWindowExecutions as { ExecutionTime: string }[]).map((x) => x.ExecutionTime);
    assert.equal(times.length, 3);
    for (const x of times) assert.equal(new Date(Date.parse(x)).getUTCDay() === 0 || new Date(Date.parse(x)).getUTCDay() === 6, true, x);
    assert.equal(Date.parse(times[1]) - Date.parse(times[0]) >= 6 * 86_400_000, true);
    // Filters: ScheduledAfter and ScheduledBefore (both ends included), as in AWS's CLI examples.
    const filtered = await awsCli(server, [
      "ssm",
      "describe-maintenance-window-schedule",
      "--window-id",
      windowId,
      "--filters",
      `Key=ScheduledAfter,Values=${new Date(Date.parse(times[1])).toISOString()}`,
      `Key=ScheduledBefore,Values=${new Date(Date.parse(times[1]) + 14 * 86_400_000).toISOString()}`,
    ]);
    assert.equal(filtered.code, 0, filtered.stderr);
    assert.deepEqual(
      (filtered.json.ScheduledWindowExecutions as { ExecutionTime: string }[]).map((x) => x.ExecutionTime),
      [
        times[1],
        times[2],
        (await ssm.send(new DescribeMaintenanceWindowScheduleCommand({ WindowId: windowId }))).ScheduledWindowExecutions?.[3]?.ExecutionTime,
      ],
    );
    await assert.rejects(
      ssm.send(new DescribeMaintenanceWindowScheduleCommand({ WindowId: windowId, Filters: [{ Key: "ExecutedBefore", Values: ["2026-01-01T00:00:00Z"] }] })),
      { name: "ValidationException", message: /ExecutedBefore is not supported here; use ScheduledAfter or ScheduledBefore/ },
    );
    await assert.rejects(
      ssm.send(new DescribeMaintenanceWindowScheduleCommand({ WindowId: windowId, Filters: [{ Key: "ScheduledBefore", Values: ["next week"] }] })),
      { name: "ValidationException", message: /takes one ISO 8601 time/ },
    );
    const targets = await ssm.send(new DescribeMaintenanceWindowTargetsCommand({ WindowId: windowId }));
    assert.deepEqual(targets.Targets?.[0].Targets, [{ Key: "tag:Patch", Values: ["weekly"] }]);
    const tasks = await ssm.send(new DescribeMaintenanceWindowTasksCommand({ WindowId: windowId }));
    assert.equal(tasks.Tasks?.length, 1);
    assert.equal(tasks.Tasks?.[0].MaxConcurrency, "2");
    const task = await ssm.send(new GetMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: tasks.Tasks?.[0].WindowTaskId }));
    assert.deepEqual(task.TaskInvocationParameters?.RunCommand?.Parameters, { commands: ["apt-get -y upgrade"] });
    assert.equal(task.CutoffBehavior, "CONTINUE_TASK");
    const list = await ssm.send(new DescribeMaintenanceWindowsCommand({ Filters: [{ Key: "Name", Values: ["nightly"] }] }));
    assert.deepEqual(
      list.WindowIdentities?.map((x) => x.WindowId),
      [windowId],
    );
    const forTarget = await ssm.send(
      new DescribeMaintenanceWindowsForTargetCommand({ ResourceType: "INSTANCE", Targets: [{ Key: "tag:Patch", Values: ["weekly"] }] }),
    );
    assert.deepEqual(forTarget.WindowIdentities, [{ WindowId: windowId, Name: "nightly" }]);
    const safe = await errorOf(ssm.send(new DeregisterTargetFromMaintenanceWindowCommand({ WindowId: windowId, WindowTargetId: targetId, Safe: true })));
    assert.equal(safe.name, "TargetInUseException");
    const upd = await ssm.send(new UpdateMaintenanceWindowCommand({ WindowId: windowId, Enabled: false }));
    assert.equal(upd.Enabled, false);
    const up2 = await ssm.send(
      new UpdateMaintenanceWindowTaskCommand({ WindowId: windowId, WindowTaskId: tasks.Tasks?.[0].WindowTaskId, Priority: 5, CutoffBehavior: "CANCEL_TASK" }),
    );
    assert.equal(up2.Priority, 5);
    assert.equal(up2.MaxConcurrency, "2");
    await ssm.send(new DeleteMaintenanceWindowCommand({ WindowId: windowId }));
    assert.equal((await errorOf(ssm.send(new GetMaintenanceWindowCommand({ WindowId: windowId })))).name, "DoesNotExistException");
  });

  test("bad input: each with AWS's error name and what to fix", async () => {
    const create = (over: Record<string, unknown>) =>
      errorOf(
        ssm.send(
          new CreateMaintenanceWindowCommand({ Name: "bad", Schedule: "rate(1 day)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false, ...over }),
        ),
      );
    let e = await create({ Schedule: "cron(0 2 * * *)" });
    assert.equal(e.name, "ValidationException");
    assert.match(e.message, /cron\(0 2 \* \* \*\).*six fields/);
    e = await create({ Cutoff: 2 });
    assert.equal(e.name, "ValidationException");
    assert.match(e.message, /Cutoff \(2 hours\) must be less than Duration \(2 hours\)/);
    e = await create({ Duration: 25 });
    assert.equal(e.name, "ValidationException");
    e = await create({ ScheduleTimezone: "Mars/Olympus" });
    assert.match(e.message, /Mars\/Olympus is not an IANA time zone/);
    e = await create({ StartDate: "2030-01-02T00:00:00Z", EndDate: "2030-01-01T00:00:00Z" });
    assert.match(e.message, /EndDate .* is not after StartDate/);
    e = await create({ ScheduleOffset: 2 });
    assert.match(e.message, /ScheduleOffset applies to cron schedules only/);

    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "strict", Schedule: "rate(1 day)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: false }),
    );
    const { WindowId: other } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "other", Schedule: "rate(1 day)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: true }),
    );
    const { WindowTargetId } = await ssm.send(
      new RegisterTargetWithMaintenanceWindowCommand({
        WindowId: other,
        ResourceType: "INSTANCE",
        Targets: [{ Key: "InstanceIds", Values: ["mi-0123456789abcdef0"] }],
      }),
    );
    const task = (over: Record<string, unknown>) =>
      errorOf(
        ssm.send(
          new RegisterTaskWithMaintenanceWindowCommand({
            WindowId,
            TaskType: "RUN_COMMAND",
            TaskArn: "AWS-RunShellScript",
            Targets: [{ Key: "WindowTargetIds", Values: [String(WindowTargetId)] }],
            MaxConcurrency: "1",
            MaxErrors: "0",
            ...over,
          }),
        ),
      );
    e = await task({});
    assert.equal(e.name, "DoesNotExistException");
    assert.match(e.message, /not registered with maintenance window/);
    e = await task({ Targets: [{ Key: "InstanceIds", Values: ["mi-0123456789abcdef0"] }] });
    assert.match(e.message, /does not allow unassociated targets/);
    e = await task({ WindowId: other, TaskArn: "No-Such-Document" });
    assert.equal(e.name, "DoesNotExistException");
    assert.match(e.message, /No-Such-Document/);
    e = await task({ WindowId: other, TaskType: "LAMBDA", TaskArn: "arn:aws:lambda:us-east-1:123456789012:function:x", Targets: [] });
    assert.equal(e.name, "FeatureNotAvailableException");
    assert.match(e.message, /Lambda/);
    e = await task({ WindowId: other, MaxConcurrency: undefined });
    assert.match(e.message, /MaxConcurrency and MaxErrors/);
    const bad = await errorOf(ssm.send(new GetMaintenanceWindowCommand({ WindowId: "mw-0123456789abcdef0" })));
    assert.equal(bad.name, "DoesNotExistException");
  });

  test("a start missed past its cutoff is recorded as TIMED_OUT, once; the window goes on", async () => {
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "missed", Schedule: "rate(1 day)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: true }),
    );
    await ssm.send(
      new RegisterTaskWithMaintenanceWindowCommand({
        WindowId,
        TaskType: "RUN_COMMAND",
        TaskArn: "AWS-RunShellScript",
        Targets: [{ Key: "InstanceIds", Values: ["mi-0123456789abcdef0"] }],
        MaxConcurrency: "1",
        MaxErrors: "0",
        TaskInvocationParameters: { RunCommand: { Parameters: { commands: ["true"] } } },
      }),
    );
    const before = await ssm.send(new GetMaintenanceWindowCommand({ WindowId }));
    const due = Date.parse(String(before.NextExecutionTime));
    const now = await serverNow(server);
    // Jump past the first start's cutoff (start + 1 h): the start was "missed".
    await server.advanceClock(Math.ceil((due - now) / 1000) + 2 * 3600);
    const ex = await eventually(async () => {
      const r = await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId }));
      return r.WindowExecutions?.length ? r.WindowExecutions : undefined;
    });
    assert.equal(ex.length, 1);
    assert.equal(ex[0].Status, "TIMED_OUT");
    assert.match(String(ex[0].StatusDetails), /not running until after its cutoff/);
    const afterw = await ssm.send(new GetMaintenanceWindowCommand({ WindowId }));
    assert.equal(Date.parse(String(afterw.NextExecutionTime)) - due, 86_400_000);
    await server.advanceClock(1);
    const again = await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId }));
    assert.equal(again.WindowExecutions?.length, 1);
    const sched = await ssm.send(new DescribeMaintenanceWindowScheduleCommand({ WindowId, MaxResults: 2 }));
    assert.equal(sched.ScheduledWindowExecutions?.length, 2);
  });

  test("GetCalendarState answers the seed 003 calendar, and unknown calendars with InvalidDocument", async () => {
    await ssm.send(
      new CreateDocumentCommand({
        Name: "BlackFriday",
        DocumentType: "ChangeCalendar",
        Content: JSON.stringify({
          schemaVersion: "1.0",
          description: "Change Calendar for Black Friday freeze",
          calendarEvents: [{ name: "BlackFridayFreeze", type: "NOT_ALLOWED", startTime: "2024-11-28T00:00:00Z", endTime: "2024-11-30T23:59:59Z" }],
        }),
      }),
    );
    const cli = await awsCli(server, ["ssm", "get-calendar-state", "--calendar-names", "BlackFriday", "--at-time", "2024-11-29T10:00:00Z"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.deepEqual(cli.json, { State: "CLOSED", AtTime: "2024-11-29T10:00:00Z", NextTransitionTime: "2024-11-30T23:59:59Z" });
    const open = await ssm.send(new GetCalendarStateCommand({ CalendarNames: ["BlackFriday"], AtTime: "2024-11-01T00:00:00Z" }));
    assert.equal(open.State, "OPEN");
    assert.equal(open.NextTransitionTime, "2024-11-28T00:00:00Z");
    const missing = await errorOf(ssm.send(new GetCalendarStateCommand({ CalendarNames: ["NoSuchCalendar"] })));
    assert.equal(missing.name, "InvalidDocument");
    const notCal = await errorOf(ssm.send(new GetCalendarStateCommand({ CalendarNames: ["AWS-RunShellScript"] })));
    assert.equal(notCal.name, "InvalidDocumentType");
    const badSchedule = await errorOf(
      ssm.send(
        new CreateDocumentCommand({
          Name: "BadCal",
          DocumentType: "ChangeCalendar",
          Content: JSON.stringify({
            schemaVersion: "1.0",
            calendarEvents: [{ name: "x", type: "ALLOWED", startTime: "2026-01-01T00:00:00Z", endTime: "2026-01-01T01:00:00Z", schedule: "cron(0 2 * * *)" }],
          }),
        }),
      ),
    );
    assert.equal(badSchedule.name, "InvalidDocumentContent");
    assert.match(badSchedule.message, /schedule/);
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateDocumentCommand,
  CreateMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  GetMaintenanceWindowCommand,
} from "@aws-sdk/client-ssm";
import { eventually, type ReceivedEvent, startServer, type TestServer, testEngine, webhookReceiver } from "../harness/index.js";

async function serverNow(server: TestServer): Promise<number> {
  const r = await fetch(`${server.endpoint}/_openssm/clock`, { method: "POST", body: "{}" });
  return ((await r.json()) as { now: number }).now * 1000;
}

/** Two replicas on one PostgreSQL database, both past a window's start (or a calendar's transition): it happens once. */
describe("maintenance windows and calendars across replicas (PostgreSQL)", { skip: testEngine !== "postgres" && "several replicas need PostgreSQL" }, () => {
  let first: TestServer;
  let second: TestServer;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const events: ReceivedEvent[] = [];
  before(async () => {
    hook = await webhookReceiver(events);
    const args = ["--webhook", hook.url];
    first = await startServer({ testClock: true, args });
    second = await startServer({ testClock: true, args, databaseUrl: first.databaseUrl, masterKey: first.masterKey, admin: first.admin });
  });
  after(async () => {
    await second?.stop();
    await first?.destroy();
    await hook?.close();
  });

  test("two replicas whose clocks both pass the start record one execution per start", async () => {
    const ssm = first.ssm();
    const { WindowId } = await ssm.send(
      new CreateMaintenanceWindowCommand({ Name: "replicated", Schedule: "rate(1 hour)", Duration: 2, Cutoff: 1, AllowUnassociatedTargets: true }),
    );
    const w = await ssm.send(new GetMaintenanceWindowCommand({ WindowId }));
    const due = Date.parse(String(w.NextExecutionTime));
    for (const s of [first, second]) await s.advanceClock(Math.ceil((due - (await serverNow(s))) / 1000) + 1);
    // Both replicas tick again and again past the start.
    await Promise.all([first.advanceClock(1), second.advanceClock(1), first.advanceClock(1), second.advanceClock(1)]);
    const ex = await eventually(async () => {
      const r = await second.ssm().send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId }));
      return r.WindowExecutions?.length ? r.WindowExecutions : undefined;
    });
    await Promise.all([first.advanceClock(1), second.advanceClock(1)]);
    const again = await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId }));
    assert.equal(again.WindowExecutions?.length, 1, JSON.stringify(again.WindowExecutions));
    assert.equal(ex[0].Status, "SUCCESS");
    assert.match(String(ex[0].StatusDetails), /no tasks/);
  });

  test("two replicas whose clocks both pass a calendar's transition publish it once", async () => {
    const now = await serverNow(first);
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
    await first.ssm().send(
      new CreateDocumentCommand({
        Name: "ReplicaFreeze",
        DocumentType: "ChangeCalendar",
        Content: JSON.stringify({
          schemaVersion: "1.0",
          calendarEvents: [{ name: "freeze", type: "NOT_ALLOWED", startTime: iso(now + 3_600_000), endTime: iso(now + 7_200_000) }],
        }),
      }),
    );
    const mine = () => events.filter((e) => e["detail-type"] === "Calendar State Change" && String(e.resources[0]).endsWith(":document/ReplicaFreeze"));
    await Promise.all([first.advanceClock(3700), second.advanceClock(3700)]);
    await Promise.all([first.advanceClock(1), second.advanceClock(1), first.advanceClock(1), second.advanceClock(1)]);
    await eventually(async () => mine().length > 0, { what: "the calendar's CLOSED event" });
    await Promise.all([first.advanceClock(1), second.advanceClock(1)]);
    await Promise.all([first.advanceClock(1), second.advanceClock(1)]);
    assert.deepEqual(
      mine().map((e) => e.detail.state),
      ["CLOSED"],
    );
  });
});

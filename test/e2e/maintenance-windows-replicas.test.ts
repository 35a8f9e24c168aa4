import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateMaintenanceWindowCommand, DescribeMaintenanceWindowExecutionsCommand, GetMaintenanceWindowCommand } from "@aws-sdk/client-ssm";
import { eventually, startServer, type TestServer, testEngine } from "../harness/index.js";

async function serverNow(server: TestServer): Promise<number> {
  const r = await fetch(`${server.endpoint}/_openssm/clock`, { method: "POST", body: "{}" });
  return ((await r.json()) as { now: number }).now * 1000;
}

/** Two replicas on one PostgreSQL database, both past a window's start: it starts once. */
describe("maintenance windows across replicas (PostgreSQL)", { skip: testEngine !== "postgres" && "several replicas need PostgreSQL" }, () => {
  let first: TestServer;
  let second: TestServer;
  before(async () => {
    first = await startServer({ testClock: true });
    second = await startServer({ testClock: true, databaseUrl: first.databaseUrl, masterKey: first.masterKey, admin: first.admin });
  });
  after(async () => {
    await second?.stop();
    await first?.destroy();
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
});

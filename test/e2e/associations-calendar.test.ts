// Change Calendar gating for State Manager: an association that names a calendar does not run while
// the calendar is CLOSED, and runs once it opens (moved test clock).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateAssociationCommand, CreateDocumentCommand, DescribeAssociationExecutionsCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { registerFakeNode } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer } from "../harness/index.js";

describe("State Manager: CalendarNames hold an association back until the calendar opens", () => {
  let server: TestServer;
  let ssm: SSMClient;

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
    await registerFakeNode(server, { Role: "frozen" });
  });
  after(() => server?.destroy());

  test("closed: no execution; open: the association runs", async () => {
    const now = Date.now();
    const iso = (t: number) => new Date(t).toISOString().replace(/\.\d+Z$/, "Z");
    await ssm.send(
      new CreateDocumentCommand({
        Name: "HoldUntilOpen",
        DocumentType: "ChangeCalendar",
        Content: JSON.stringify({
          schemaVersion: "1.0",
          calendarEvents: [{ name: "freeze", type: "NOT_ALLOWED", startTime: iso(now - 3_600_000), endTime: iso(now + 7_200_000) }],
        }),
      }),
    );
    const created = await ssm.send(
      new CreateAssociationCommand({
        Name: "AWS-RunShellScript",
        Parameters: { commands: ["true"] },
        Targets: [{ Key: "tag:Role", Values: ["frozen"] }],
        ScheduleExpression: "rate(30 minutes)",
        CalendarNames: ["HoldUntilOpen"],
      }),
    );
    const id = String(created.AssociationDescription?.AssociationId);
    const executions = async () => (await ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id }))).AssociationExecutions ?? [];
    // Two scheduled times pass while the calendar is closed: nothing runs.
    await server.advanceClock(31 * 60);
    await server.advanceClock(31 * 60);
    assert.equal((await executions()).length, 0);
    // The freeze (two hours) ended: the next scheduled time runs it.
    await server.advanceClock(60 * 60);
    await eventually(async () => ((await executions()).length > 0 ? true : undefined), { what: "an execution once the calendar is open" });
  });
});

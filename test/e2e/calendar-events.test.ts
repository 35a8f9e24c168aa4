import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateDocumentCommand, ListDocumentVersionsCommand, UpdateDocumentCommand, UpdateDocumentDefaultVersionCommand } from "@aws-sdk/client-ssm";
import { defaultAccountId, eventually, type ReceivedEvent, startServer, type TestServer, webhookReceiver } from "../harness/index.js";

type BusEvent = ReceivedEvent & { detail: { state: string; atTime: string; nextTransitionTime?: string } };

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

async function serverNow(server: TestServer): Promise<number> {
  const r = await fetch(`${server.endpoint}/_openssm/clock`, { method: "POST", body: "{}" });
  return ((await r.json()) as { now: number }).now * 1000;
}

/** "Calendar State Change" events: published once per transition, through restarts, to the bus and webhooks. */
describe("Change Calendar state changes on the event bus", () => {
  let server: TestServer;
  let hook: Awaited<ReturnType<typeof webhookReceiver<BusEvent>>>;
  const events: BusEvent[] = [];

  before(async () => {
    hook = await webhookReceiver(events);
    server = await startServer({ testClock: true, args: ["--webhook", hook.url] });
  });
  after(async () => {
    await server?.destroy();
    await hook?.close();
  });

  test("each transition once, including those passed while the server was down, and a changed calendar's new state", async () => {
    const account = await defaultAccountId(server);
    const arn = `arn:aws:ssm:us-east-1:${account}:document/Freeze`;
    const mine = () => events.filter((e) => e["detail-type"] === "Calendar State Change" && e.resources[0] === arn);
    const t0 = Math.floor((await serverNow(server)) / 1000) * 1000;
    const calendar = (freezes: [number, number][]) =>
      JSON.stringify({
        schemaVersion: "1.0",
        calendarEvents: freezes.map(([s, e], i) => ({ name: `freeze-${i}`, type: "NOT_ALLOWED", startTime: iso(t0 + s * HOUR), endTime: iso(t0 + e * HOUR) })),
      });
    const ssm = server.ssm();
    await ssm.send(
      new CreateDocumentCommand({
        Name: "Freeze",
        DocumentType: "ChangeCalendar",
        Content: calendar([
          [1, 2],
          [3, 4],
          [5, 6],
        ]),
      }),
    );
    await server.advanceClock(10);
    await server.advanceClock(3600);
    const [closed] = await eventually(async () => (mine().length ? mine() : undefined), { what: "the calendar's CLOSED event" });
    assert.equal(closed.source, "aws.ssm");
    assert.equal(closed.account, account);
    assert.equal(closed.region, "us-east-1");
    assert.deepEqual(closed.resources, [arn]);
    assert.deepEqual(closed.detail, { state: "CLOSED", atTime: iso(t0 + HOUR), nextTransitionTime: iso(t0 + 2 * HOUR) });

    // Down across two transitions: the restarted server (its clock set back to where it was) publishes each once.
    await server.kill();
    await server.restart();
    await server.advanceClock(3610 + 2 * 3600);
    await server.advanceClock(1);
    await eventually(async () => mine().length >= 3, { what: "the transitions passed while down" });
    // A changed calendar: the freeze it is in is gone, so it opens when the new version became the default.
    await ssm.send(
      new UpdateDocumentCommand({
        Name: "Freeze",
        Content: calendar([
          [1, 2],
          [5, 6],
        ]),
        DocumentVersion: "$LATEST",
      }),
    );
    await ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: "Freeze", DocumentVersion: "2" }));
    const versions = await ssm.send(new ListDocumentVersionsCommand({ Name: "Freeze" }));
    const v2 = (versions.DocumentVersions?.find((v) => v.DocumentVersion === "2")?.CreatedDate as Date).getTime();
    await server.advanceClock(1);
    await eventually(async () => mine().length >= 4, { what: "the OPEN event after the change" });
    await server.advanceClock(2 * 3600);
    await eventually(async () => mine().length >= 5, { what: "the freeze that remained" });
    // Later ticks publish nothing again.
    await server.advanceClock(1);
    await server.advanceClock(1);
    const seen = mine()
      .map((e) => e.detail)
      .sort((a, b) => a.atTime.localeCompare(b.atTime));
    assert.deepEqual(seen, [
      { state: "CLOSED", atTime: iso(t0 + HOUR), nextTransitionTime: iso(t0 + 2 * HOUR) },
      { state: "OPEN", atTime: iso(t0 + 2 * HOUR), nextTransitionTime: iso(t0 + 3 * HOUR) },
      { state: "CLOSED", atTime: iso(t0 + 3 * HOUR), nextTransitionTime: iso(t0 + 4 * HOUR) },
      { state: "OPEN", atTime: iso(v2), nextTransitionTime: iso(t0 + 5 * HOUR) },
      { state: "CLOSED", atTime: iso(t0 + 5 * HOUR), nextTransitionTime: iso(t0 + 6 * HOUR) },
    ]);
  });
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { toAsciicast, transcript } from "../../packages/server/src/capabilities/sessions/asciicast.js";
import { newSessionId } from "../../packages/server/src/capabilities/sessions/ids.js";
import { readPreferences, runAsUser } from "../../packages/server/src/capabilities/sessions/preferences.js";
import type { RecordedEvent } from "../../packages/server/src/capabilities/sessions/recording.js";

test("session ids are <principal name>-<17 hex>", () => {
  assert.match(newSessionId("alice"), /^alice-[0-9a-f]{17}$/);
  assert.ok(newSessionId("x".repeat(200)).length <= 96);
});

test("preferences: AWS's defaults, the account's SSM-SessionManagerRunShell, a document's own inputs", () => {
  const d = readPreferences({});
  assert.equal(d.idleSessionTimeoutMinutes, 20);
  assert.equal(d.maxSessionDurationMinutes, undefined);
  assert.equal(d.runAsEnabled, false);
  const p = readPreferences(
    { idleSessionTimeout: "5", maxSessionDuration: "60", runAsEnabled: true, runAsDefaultUser: "ops", shellProfile: { linux: "cd /srv" } },
    { idleSessionTimeout: "", recordingRetentionDays: 30 },
  );
  assert.equal(p.idleSessionTimeoutMinutes, 5, "an empty value does not override");
  assert.equal(p.maxSessionDurationMinutes, 60);
  assert.equal(p.runAsDefaultUser, "ops");
  assert.equal(p.shellProfile.linux, "cd /srv");
  assert.equal(p.recordingRetentionDays, 30);
  assert.throws(() => readPreferences({ idleSessionTimeout: "61" }), { code: "InvalidDocument" });
  assert.throws(() => readPreferences({ maxSessionDuration: "0" }), { code: "InvalidDocument" });
});

test("Run As: the SSMSessionRunAs tag first, then runAsDefaultUser; off means the agent decides", () => {
  const on = readPreferences({ runAsEnabled: "true", runAsDefaultUser: "ops" });
  assert.equal(runAsUser(on, {}), "ops");
  assert.equal(runAsUser(on, { SSMSessionRunAs: "alice" }), "alice");
  assert.equal(runAsUser(readPreferences({}), { SSMSessionRunAs: "alice" }), undefined);
  assert.throws(() => runAsUser(readPreferences({ runAsEnabled: true }), {}), { code: "InvalidDocument" });
  assert.throws(() => runAsUser(on, { SSMSessionRunAs: "bad user;rm" }), { code: "InvalidDocument" });
});

test("asciicast v2: header with the first size, timed events, UTF-8 kept whole across frames", () => {
  const euro = Buffer.from("€", "utf8");
  const events: RecordedEvent[] = [
    { ms: 0, kind: "r", data: Buffer.from("120x40") },
    { ms: 10, kind: "o", data: Buffer.from("$ ") },
    { ms: 500, kind: "i", data: Buffer.from("ls\r") },
    { ms: 600, kind: "o", data: euro.subarray(0, 2) },
    { ms: 601, kind: "o", data: euro.subarray(2) },
  ];
  const lines = toAsciicast(events, { startedAt: Date.UTC(2026, 0, 1), title: "t" })
    .trim()
    .split("\n");
  const header = JSON.parse(lines[0]);
  assert.deepEqual([header.version, header.width, header.height, header.timestamp], [2, 120, 40, Date.UTC(2026, 0, 1) / 1000]);
  const rest = lines.slice(1).map((l) => JSON.parse(l));
  assert.deepEqual(rest, [
    [0, "r", "120x40"],
    [0.01, "o", "$ "],
    [0.5, "i", "ls\r"],
    [0.601, "o", "€"],
  ]);
  assert.equal(transcript(events).toString("utf8"), "$ €");
  assert.equal(transcript(events, ["o", "i"]).toString("utf8"), "$ ls\r€");
});

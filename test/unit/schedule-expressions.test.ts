import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { nextOccurrence, occurrences, parseSchedule, ScheduleError } from "../../packages/server/src/scheduler/expressions.js";
import { fromLocal, isTimeZone, toLocal } from "../../packages/server/src/scheduler/zoned-time.js";

const t = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString().replace(".000Z", "Z"));
const next = (expr: string, after: string, opts: Parameters<typeof nextOccurrence>[2] = {}) => iso(nextOccurrence(parseSchedule(expr), t(after), opts));
const bad = (expr: string, pattern: RegExp, opts?: Parameters<typeof parseSchedule>[1]) =>
  assert.throws(
    () => parseSchedule(expr, opts),
    (e: unknown) => e instanceof ScheduleError && e.message.includes(expr) && pattern.test(e.message),
  );

describe("schedule expressions: cron", () => {
  it("finds the next weekday at a time, in UTC and in a zone", () => {
    // 2026-01-01 is a Thursday.
    assert.equal(next("cron(0 2 ? * SUN *)", "2026-01-01T00:00:00Z"), "2026-01-04T02:00:00Z");
    assert.equal(next("cron(0 2 ? * SUN *)", "2026-01-01T00:00:00Z", { timeZone: "Europe/Berlin" }), "2026-01-04T01:00:00Z");
    assert.equal(next("cron(0 2 ? * SUN *)", "2026-07-01T00:00:00Z", { timeZone: "Europe/Berlin" }), "2026-07-05T00:00:00Z");
    assert.equal(next("cron(0 16 ? * TUE *)", "2026-01-01T00:00:00Z", { timeZone: "America/Los_Angeles" }), "2026-01-07T00:00:00Z");
  });

  it("is strictly after the given instant", () => {
    assert.equal(next("cron(0 10 * * ? *)", "2026-01-01T10:00:00Z"), "2026-01-02T10:00:00Z");
    assert.equal(next("cron(0 10 * * ? *)", "2026-01-01T09:59:59Z"), "2026-01-01T10:00:00Z");
  });

  it("handles daylight saving: the skipped hour runs past the gap, the repeated hour once", () => {
    // Europe/Berlin: 2026-03-29 02:00 CET -> 03:00 CEST; 2026-10-25 03:00 CEST -> 02:00 CET.
    assert.equal(next("cron(30 2 ? * SUN *)", "2026-03-28T00:00:00Z", { timeZone: "Europe/Berlin" }), "2026-03-29T01:30:00Z");
    assert.equal(next("cron(30 2 ? * SUN *)", "2026-10-24T00:00:00Z", { timeZone: "Europe/Berlin" }), "2026-10-25T00:30:00Z");
    assert.equal(next("cron(30 2 ? * SUN *)", "2026-10-25T00:30:00Z", { timeZone: "Europe/Berlin" }), "2026-11-01T01:30:00Z");
    const daily = parseSchedule("cron(0 12 * * ? *)");
    assert.deepEqual(occurrences(daily, t("2026-03-27T12:00:00Z"), 3, { timeZone: "Europe/Berlin" }).map(iso), [
      "2026-03-28T11:00:00Z",
      "2026-03-29T10:00:00Z",
      "2026-03-30T10:00:00Z",
    ]);
    const quarterHours = parseSchedule("cron(0/15 * * * ? *)");
    assert.deepEqual(occurrences(quarterHours, t("2026-10-25T00:40:00Z"), 3, { timeZone: "Europe/Berlin" }).map(iso), [
      "2026-10-25T00:45:00Z",
      "2026-10-25T02:00:00Z",
      "2026-10-25T02:15:00Z",
    ]);
  });

  it("understands #, L and W", () => {
    // January 2026: Tuesdays 6, 13, 20, 27; Fridays 2 .. 30; the 31st is a Saturday.
    assert.equal(next("cron(30 23 ? * TUE#3 *)", "2026-01-01T00:00:00Z"), "2026-01-20T23:30:00Z");
    assert.equal(next("cron(0 2 ? * THU#3 *)", "2026-01-01T00:00:00Z"), "2026-01-15T02:00:00Z");
    assert.equal(next("cron(0 2 L * ? *)", "2026-02-01T00:00:00Z"), "2026-02-28T02:00:00Z");
    assert.equal(next("cron(0 2 L * ? *)", "2028-02-01T00:00:00Z"), "2028-02-29T02:00:00Z");
    assert.equal(next("cron(0 2 L-2 * ? *)", "2026-02-01T00:00:00Z"), "2026-02-26T02:00:00Z");
    assert.equal(next("cron(15 10 ? * 6L *)", "2026-01-01T00:00:00Z"), "2026-01-30T10:15:00Z");
    assert.equal(next("cron(15 10 ? * FRIL *)", "2026-01-01T00:00:00Z"), "2026-01-30T10:15:00Z");
    assert.equal(next("cron(0 0 LW * ? *)", "2026-01-01T00:00:00Z"), "2026-01-30T00:00:00Z");
    // August 2026: the 1st and the 15th are Saturdays.
    assert.equal(next("cron(0 0 15W * ? *)", "2026-08-01T00:00:00Z"), "2026-08-14T00:00:00Z");
    assert.equal(next("cron(0 0 1W * ? *)", "2026-07-31T00:00:00Z"), "2026-08-03T00:00:00Z");
  });

  it("reads lists, ranges, steps, names and an optional seconds field", () => {
    // 2026-01-02 is a Friday.
    assert.equal(next("cron(0/5 8-17 ? * MON-FRI *)", "2026-01-02T17:57:00Z"), "2026-01-05T08:00:00Z");
    assert.equal(next("cron(0/5 8-17 ? * MON-FRI *)", "2026-01-02T12:01:00Z"), "2026-01-02T12:05:00Z");
    assert.equal(next("cron(1/10 * * * ? *)", "2026-01-01T00:12:00Z"), "2026-01-01T00:21:00Z");
    assert.equal(next("cron(0 9 ? * FRI-MON *)", "2026-01-06T00:00:00Z"), "2026-01-09T09:00:00Z");
    assert.equal(next("cron(0 0 1 JAN,jul ? *)", "2026-02-01T00:00:00Z"), "2026-07-01T00:00:00Z");
    assert.equal(next("cron(24 30 09 ? * * *)", "2026-01-01T10:00:00Z"), "2026-01-02T09:30:24Z");
    assert.equal(next("cron(0 0 1 1 ? 2027-2028)", "2026-05-01T00:00:00Z"), "2027-01-01T00:00:00Z");
  });

  it("has no next occurrence once its years are over", () => {
    assert.equal(next("cron(0 0 1 1 ? 2025)", "2026-01-01T00:00:00Z"), undefined);
    assert.equal(next("cron(0 0 30 FEB ? *)", "2026-01-01T00:00:00Z"), undefined);
  });

  it("applies a schedule offset in days, skipping a match that already passed", () => {
    assert.equal(next("cron(30 23 ? * TUE#3 *)", "2026-01-01T00:00:00Z", { offsetDays: 2 }), "2026-01-22T23:30:00Z");
    assert.equal(next("cron(30 23 ? * TUE#3 *)", "2026-01-21T00:00:00Z", { offsetDays: 2 }), "2026-01-22T23:30:00Z");
    assert.equal(next("cron(30 23 ? * TUE#3 *)", "2026-01-21T00:00:00Z", { offsetDays: 2, notBefore: t("2026-01-21T00:00:00Z") }), "2026-02-19T23:30:00Z");
    const daily = parseSchedule("cron(0 6 * * ? *)");
    assert.deepEqual(occurrences(daily, t("2026-01-10T00:00:00Z"), 3, { offsetDays: 3 }).map(iso), [
      "2026-01-10T06:00:00Z",
      "2026-01-11T06:00:00Z",
      "2026-01-12T06:00:00Z",
    ]);
  });
});

describe("schedule expressions: rate and at", () => {
  it("repeats a rate from its anchor", () => {
    const s = parseSchedule("rate(30 minutes)");
    assert.equal(iso(nextOccurrence(s, t("2026-01-01T00:00:00Z"))), "2026-01-01T00:30:00Z");
    assert.equal(iso(nextOccurrence(s, t("2026-01-01T00:40:00Z"), { anchor: t("2026-01-01T00:00:00Z") })), "2026-01-01T01:00:00Z");
    assert.equal(iso(nextOccurrence(s, t("2026-01-01T00:00:00Z"), { anchor: t("2026-01-02T00:00:00Z") })), "2026-01-02T00:00:00Z");
    assert.equal(parseSchedule("rate(1 day)").rate?.ms, 86_400_000);
    assert.equal(parseSchedule("rate(2 hours)").rate?.ms, 7_200_000);
  });

  it("runs at() once, in the schedule's zone", () => {
    assert.equal(next("at(2026-12-01T10:00:00)", "2026-01-01T00:00:00Z"), "2026-12-01T10:00:00Z");
    assert.equal(next("at(2026-12-01T10:00:00)", "2026-01-01T00:00:00Z", { timeZone: "Europe/Berlin" }), "2026-12-01T09:00:00Z");
    assert.equal(next("at(2026-12-01T10:00:00)", "2026-12-01T10:00:00Z"), undefined);
  });
});

describe("schedule expressions: refusals name the expression and the fix", () => {
  it("refuses malformed cron expressions", () => {
    bad("cron(0 2 * * *)", /six fields/);
    bad("cron(0 2 * * ? * * *)", /six fields/);
    bad("cron(0 2 ? * ? *)", /only one of Day-of-month and Day-of-week/);
    bad("cron(0 2 * * SUN *)", /must be '\?'/);
    bad("cron(0 24 ? * SUN *)", /24 in the Hours field is outside 0-23/);
    bad("cron(0 2 ? 13 SUN *)", /13 in the Month field/);
    bad("cron(0 2 ? * FUN *)", /'FUN' in the Day-of-week field/);
    bad("cron(0 2 ? * TUE#6 *)", /1-5/);
    bad("cron(0 2 ? * SUN 1969)", /Year field is outside 1970-2199/);
    bad("cron(0/0 2 ? * SUN *)", /step/);
    bad("cron(0 2 1,L * ? *)", /stand alone/);
    bad("cron(0 2 ? * SUN,5L *)", /stand alone/);
  });

  it("refuses malformed rates and times", () => {
    bad("rate(1 hours)", /singular/);
    bad("rate(5 hour)", /plural/);
    bad("rate(0 minutes)", /positive/);
    bad("rate(5 weeks)", /rate\(N minutes\)/);
    bad("rate(10 minutes)", /at least 30 minutes/, { minRateMinutes: 30 });
    bad("at(2026-02-30T00:00:00)", /exists/);
    bad("at(2026-02-01 00:00)", /at\(yyyy-mm-ddThh:mm:ss\)/);
    bad("every day", /one of cron/);
    bad("at(2026-02-01T00:00:00)", /not accepted here/, { allow: ["cron", "rate"] });
  });
});

describe("zoned time", () => {
  it("knows IANA zones and round-trips local times", () => {
    assert.ok(isTimeZone("Europe/Berlin"));
    assert.ok(isTimeZone("UTC"));
    assert.ok(!isTimeZone("Mars/Olympus"));
    assert.ok(!isTimeZone("Europe/Berlin; DROP"));
    const at = fromLocal(2026, 6, 15, 9, 30, 0, "Asia/Tokyo");
    assert.equal(iso(at), "2026-06-15T00:30:00Z");
    const l = toLocal(at, "Asia/Tokyo");
    assert.deepEqual([l.year, l.month, l.day, l.hour, l.minute, l.dow], [2026, 6, 15, 9, 30, 1]);
  });
});

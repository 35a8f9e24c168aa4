import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluate, iCalendarModel, jsonCalendarModel } from "../../packages/server/src/capabilities/calendar/model.js";

const t = (iso: string) => Date.parse(iso);
const at = (models: Parameters<typeof evaluate>[0], iso: string) => {
  const r = evaluate(models, t(iso));
  return { state: r.state, next: r.nextTransitionTime === undefined ? undefined : new Date(r.nextTransitionTime).toISOString().replace(".000Z", "Z") };
};

// The seed's Black Friday freeze, verbatim.
const SEED_003 = {
  schemaVersion: "1.0",
  description: "Change Calendar for Black Friday freeze",
  calendarEvents: [{ name: "BlackFridayFreeze", type: "NOT_ALLOWED", startTime: "2024-11-28T00:00:00Z", endTime: "2024-11-30T23:59:59Z" }],
};

const SATURDAY_FREEZE = [
  "BEGIN:VCALENDAR",
  "VERSION:2.0",
  "PRODID:-//openssm//test//EN",
  "X-CALENDAR-TYPE:DEFAULT_OPEN",
  "BEGIN:VEVENT",
  "UID:freeze-1",
  "DTSTAMP:20260101T000000Z",
  "DTSTART;TZID=Europe/Berlin:20260321T090000",
  "DTEND;TZID=Europe/Berlin:20260321T170000",
  "RRULE:FREQ=WEEKLY;COUNT=3",
  "SUMMARY:Saturday freeze",
  "END:VEVENT",
  "END:VCALENDAR",
].join("\r\n");

describe("change calendar evaluation", () => {
  it("answers the seed 003 calendar", () => {
    const m = [jsonCalendarModel("freeze", SEED_003)];
    assert.deepEqual(at(m, "2024-11-01T00:00:00Z"), { state: "OPEN", next: "2024-11-28T00:00:00Z" });
    assert.deepEqual(at(m, "2024-11-29T12:00:00Z"), { state: "CLOSED", next: "2024-11-30T23:59:59Z" });
    assert.deepEqual(at(m, "2024-12-05T00:00:00Z"), { state: "OPEN", next: undefined });
  });

  it("follows a weekly iCalendar recurrence across a daylight-saving change", () => {
    // Saturdays 09:00-17:00 Berlin time: 03-21 and 03-28 in CET (UTC+1), 04-04 in CEST (UTC+2).
    const m = [iCalendarModel("sat", SATURDAY_FREEZE)];
    assert.deepEqual(at(m, "2026-03-21T08:00:00Z"), { state: "CLOSED", next: "2026-03-21T16:00:00Z" });
    assert.deepEqual(at(m, "2026-03-28T07:59:59Z"), { state: "OPEN", next: "2026-03-28T08:00:00Z" });
    assert.deepEqual(at(m, "2026-03-29T00:00:00Z"), { state: "OPEN", next: "2026-04-04T07:00:00Z" });
    assert.deepEqual(at(m, "2026-04-04T07:30:00Z"), { state: "CLOSED", next: "2026-04-04T15:00:00Z" });
    assert.deepEqual(at(m, "2026-04-05T00:00:00Z"), { state: "OPEN", next: undefined });
  });

  it("lets NOT_ALLOWED win where it overlaps ALLOWED, in a DEFAULT_CLOSED calendar", () => {
    const m = [
      jsonCalendarModel("windows", {
        schemaVersion: "1.0",
        calendarType: "DEFAULT_CLOSED",
        calendarEvents: [
          { name: "weekly", type: "ALLOWED", startTime: "2026-01-03T02:00:00Z", endTime: "2026-01-03T06:00:00Z", schedule: "cron(0 2 ? * SAT *)" },
          { name: "freeze", type: "NOT_ALLOWED", startTime: "2026-01-10T00:00:00Z", endTime: "2026-01-11T00:00:00Z" },
        ],
      }),
    ];
    assert.deepEqual(at(m, "2026-01-03T03:00:00Z"), { state: "OPEN", next: "2026-01-03T06:00:00Z" });
    assert.deepEqual(at(m, "2026-01-05T00:00:00Z"), { state: "CLOSED", next: "2026-01-17T02:00:00Z" });
    assert.deepEqual(at(m, "2026-01-10T03:00:00Z"), { state: "CLOSED", next: "2026-01-17T02:00:00Z" });
  });

  it("is CLOSED when any of several calendars is closed", () => {
    const open = jsonCalendarModel("open", { calendarEvents: [] });
    const seed = jsonCalendarModel("freeze", SEED_003);
    assert.deepEqual(at([open, seed], "2024-11-29T00:00:00Z"), { state: "CLOSED", next: "2024-11-30T23:59:59Z" });
    assert.deepEqual(at([open], "2024-11-29T00:00:00Z"), { state: "OPEN", next: undefined });
  });
});

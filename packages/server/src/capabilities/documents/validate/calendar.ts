import ICAL from "ical.js";
import { ApiError } from "../../../errors.js";
import { isTimeZone, parseSchedule, ScheduleError } from "../../../scheduler/expressions.js";
import { type Checker, describe, schemaVersionOf, unsupportedSchema } from "./checker.js";
import type { ValidatedContent } from "./result.js";

export const CALENDAR_TYPES = ["DEFAULT_OPEN", "DEFAULT_CLOSED"];
const EVENT_TYPES = ["ALLOWED", "NOT_ALLOWED"];
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

function invalid(message: string): ApiError {
  return new ApiError("InvalidDocumentContent", message);
}

/** A Change Calendar in iCalendar 2.0, as AWS stores it (DocumentFormat TEXT). */
function validateICalendar(raw: string): ValidatedContent {
  let root: ICAL.Component;
  try {
    root = new ICAL.Component(ICAL.parse(raw));
  } catch (e) {
    throw invalid(
      `The calendar is not valid iCalendar: ${(e as Error).message}. A Change Calendar in TEXT format is an iCalendar 2.0 file (BEGIN:VCALENDAR ... END:VCALENDAR).`,
    );
  }
  if (root.name !== "vcalendar") throw invalid(`The calendar must start with BEGIN:VCALENDAR, not BEGIN:${root.name.toUpperCase()}.`);
  const version = root.getFirstPropertyValue("version");
  if (String(version ?? "") !== "2.0") throw invalid(`The calendar's VERSION must be 2.0, not ${version === null ? "missing" : `'${version}'`}.`);
  const type = root.getFirstPropertyValue("x-calendar-type");
  if (type !== null && !CALENDAR_TYPES.includes(String(type))) {
    throw invalid(
      `X-CALENDAR-TYPE must be DEFAULT_OPEN (changes allowed outside events) or DEFAULT_CLOSED (changes allowed only during events), not '${type}'.`,
    );
  }
  root.getAllSubcomponents("vevent").forEach((vevent, i) => {
    const event = new ICAL.Event(vevent);
    const label = `Event ${i + 1}${event.summary ? ` (${event.summary})` : ""}`;
    if (!event.startDate) throw invalid(`${label} has no DTSTART.`);
    if (!vevent.hasProperty("dtend") && !vevent.hasProperty("duration")) throw invalid(`${label} has neither DTEND nor DURATION.`);
    if (event.endDate && event.endDate.compare(event.startDate) < 0) throw invalid(`${label} ends (${event.endDate}) before it starts (${event.startDate}).`);
    if (vevent.hasProperty("rrule")) {
      try {
        event.iterator().next();
      } catch (e) {
        throw invalid(`${label} has an RRULE that can't be read: ${(e as Error).message}.`);
      }
    }
  });
  return { schemaVersion: "1.0", parameters: {}, platformTypes: [] };
}

/** A Change Calendar in the JSON/YAML event form: calendarEvents with ALLOWED / NOT_ALLOWED windows. */
function validateEventForm(c: Checker, content: Record<string, any>): ValidatedContent {
  const schemaVersion = content.schemaVersion === undefined ? "1.0" : schemaVersionOf(c, content);
  if (schemaVersion !== "1.0") throw unsupportedSchema("ChangeCalendar", schemaVersion, ["1.0"]);
  const description = c.optionalString(content.description, ["description"]);
  if (content.calendarType !== undefined) c.oneOf(content.calendarType, CALENDAR_TYPES, ["calendarType"]);
  const events = c.array(content.calendarEvents, ["calendarEvents"], "a list of events with name, type, startTime and endTime");
  events.forEach((raw, i) => {
    const path = ["calendarEvents", i];
    const e = c.object(raw, path, "an event object");
    c.string(e.name, [...path, "name"], "the event's name");
    c.oneOf(e.type, EVENT_TYPES, [...path, "type"]);
    const times: number[] = [];
    for (const key of ["startTime", "endTime"]) {
      const text = c.string(e[key], [...path, key], "an ISO 8601 date and time such as 2024-12-25T00:00:00Z");
      if (!ISO_DATE_TIME.test(text) || Number.isNaN(Date.parse(text)))
        c.fail([...path, key], `must be an ISO 8601 date and time such as 2024-12-25T00:00:00Z, not ${describe(text)}.`);
      times.push(Date.parse(text));
    }
    if (times[1] <= times[0]) c.fail([...path, "endTime"], "must be later than startTime.");
    if (e.schedule !== undefined) {
      const schedule = c.string(e.schedule, [...path, "schedule"], "a cron or rate expression");
      try {
        parseSchedule(schedule, { allow: ["cron", "rate"] });
      } catch (err) {
        if (!(err instanceof ScheduleError)) throw err;
        c.fail([...path, "schedule"], `must be a cron(...) or rate(...) expression: ${err.message}`);
      }
    }
    if (e.timezone !== undefined) {
      const zone = c.string(e.timezone, [...path, "timezone"], "an IANA time zone such as Europe/Paris");
      if (!isTimeZone(zone)) c.fail([...path, "timezone"], `must be an IANA time zone such as Europe/Paris, not ${describe(zone)}.`);
    }
  });
  return { schemaVersion, description, parameters: {}, platformTypes: [] };
}

export function validateCalendar(c: Checker, content: Record<string, any>): ValidatedContent {
  if (c.format === "TEXT") return validateICalendar(c.raw);
  return validateEventForm(c, content);
}

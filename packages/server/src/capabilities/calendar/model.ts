import ICAL from "ical.js";
import { nextOccurrence, parseSchedule } from "../../scheduler/expressions.js";
import { fromLocal, isTimeZone } from "../../scheduler/zoned-time.js";

/**
 * A Change Calendar as time intervals: AWS's iCalendar form (events close a DEFAULT_OPEN calendar and
 * open a DEFAULT_CLOSED one; RRULE recurrences, EXDATE, overridden instances, TZID time zones) and the
 * JSON form (`calendarEvents` of type ALLOWED / NOT_ALLOWED, optionally recurring on a schedule).
 */

export type CalendarStateName = "OPEN" | "CLOSED";

/** Seconds precision, as AWS writes AtTime and NextTransitionTime: 2026-12-24T10:00:00Z. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** One stretch of time an event covers: [start, end), allowing or forbidding changes. */
export interface Interval {
  start: number;
  end: number;
  allowed: boolean;
}

export interface CalendarModel {
  name: string;
  defaultOpen: boolean;
  /** The event intervals that overlap [from, to]. */
  intervals(from: number, to: number): Interval[];
}

/** Enough occurrences of one recurring event for any sensible horizon; a runaway rule stops here. */
const MAX_OCCURRENCES = 100_000;
const DAY = 86_400_000;

function epochOf(t: ICAL.Time, tzid: string | undefined, floatingZone: string | undefined): number {
  if (t.zone?.tzid === "UTC") return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
  if (tzid && isTimeZone(tzid)) return fromLocal(t.year, t.month, t.day, t.hour, t.minute, t.second, tzid);
  if (t.zone && t.zone.tzid !== "floating") return t.toUnixTime() * 1000;
  return fromLocal(t.year, t.month, t.day, t.hour, t.minute, t.second, floatingZone);
}

function tzidOf(component: ICAL.Component, property: string): string | undefined {
  const p = component.getFirstProperty(property);
  const tzid = p?.getParameter("tzid");
  return typeof tzid === "string" ? tzid : undefined;
}

/** Parses an iCalendar Change Calendar (validated at CreateDocument). */
export function iCalendarModel(name: string, raw: string): CalendarModel {
  const root = new ICAL.Component(ICAL.parse(raw));
  const type = String(root.getFirstPropertyValue("x-calendar-type") ?? "DEFAULT_OPEN");
  const defaultOpen = type !== "DEFAULT_CLOSED";
  const wrZone = root.getFirstPropertyValue("x-wr-timezone");
  const floatingZone = typeof wrZone === "string" && isTimeZone(wrZone) ? wrZone : undefined;
  for (const vtz of root.getAllSubcomponents("vtimezone")) {
    const tzid = vtz.getFirstPropertyValue("tzid");
    if (typeof tzid === "string" && !isTimeZone(tzid) && !ICAL.TimezoneService.has(tzid)) ICAL.TimezoneService.register(vtz);
  }
  // Events share a UID with the instances that override them (RECURRENCE-ID).
  const masters = new Map<string, ICAL.Event>();
  const loose: ICAL.Event[] = [];
  const overrides: ICAL.Event[] = [];
  for (const vevent of root.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    if (vevent.hasProperty("recurrence-id")) overrides.push(event);
    else if (event.uid && !masters.has(event.uid)) masters.set(event.uid, event);
    else loose.push(event);
  }
  for (const o of overrides) {
    const master = masters.get(o.uid);
    if (master) master.relateException(o);
    else loose.push(o);
  }
  const events = [...masters.values(), ...loose];
  // An event marks the opposite of the calendar's default.
  const allowed = !defaultOpen;
  return {
    name,
    defaultOpen,
    intervals(from, to) {
      const out: Interval[] = [];
      for (const event of events) {
        const startZone = tzidOf(event.component, "dtstart");
        const endZone = tzidOf(event.component, "dtend") ?? startZone;
        const push = (s: ICAL.Time, e: ICAL.Time | undefined) => {
          const start = epochOf(s, startZone, floatingZone);
          const end = e ? epochOf(e, endZone, floatingZone) : start + (s.isDate ? DAY : 0);
          if (end > from && start <= to && end > start) out.push({ start, end, allowed });
          return start;
        };
        if (!event.isRecurring()) {
          push(event.startDate, event.endDate);
          continue;
        }
        const it = event.iterator();
        for (let i = 0; i < MAX_OCCURRENCES; i++) {
          const next = it.next();
          if (!next) break;
          const details = event.getOccurrenceDetails(next);
          if (push(details.startDate, details.endDate) > to) break;
        }
      }
      return out;
    },
  };
}

interface JsonEvent {
  name?: string;
  type: "ALLOWED" | "NOT_ALLOWED";
  startTime: string;
  endTime: string;
  schedule?: string;
  timezone?: string;
}

/** Parses the JSON form: `calendarType` (DEFAULT_OPEN unless said), `calendarEvents` (validated at CreateDocument). */
export function jsonCalendarModel(name: string, content: Record<string, any>): CalendarModel {
  const defaultOpen = content.calendarType !== "DEFAULT_CLOSED";
  const events = (Array.isArray(content.calendarEvents) ? content.calendarEvents : []) as JsonEvent[];
  return {
    name,
    defaultOpen,
    intervals(from, to) {
      const out: Interval[] = [];
      for (const e of events) {
        const start = Date.parse(e.startTime);
        const length = Date.parse(e.endTime) - start;
        const allowed = e.type === "ALLOWED";
        if (!e.schedule) {
          if (start + length > from && start <= to) out.push({ start, end: start + length, allowed });
          continue;
        }
        // A recurring event: a window as long as its first one, at each schedule occurrence from startTime on.
        const schedule = parseSchedule(e.schedule, { allow: ["cron", "rate"] });
        const timeZone = e.timezone && isTimeZone(e.timezone) ? e.timezone : undefined;
        let t: number | undefined = Math.max(start - 1, from - length - 1);
        if (schedule.rate) {
          const k = Math.max(0, Math.floor((from - length - start) / schedule.rate.ms));
          t = start + k * schedule.rate.ms - 1;
        }
        for (let i = 0; i < MAX_OCCURRENCES && t !== undefined; i++) {
          const s: number | undefined = nextOccurrence(schedule, t, { timeZone, anchor: start });
          if (s === undefined || s > to) break;
          if (s + length > from) out.push({ start: s, end: s + length, allowed });
          t = s;
        }
      }
      return out;
    },
  };
}

/** A stored calendar's model: iCalendar when its format is TEXT, else the JSON form (`content` parsed from JSON or YAML). */
export function modelOf(name: string, format: string, raw: string, content: Record<string, any>): CalendarModel {
  return format === "TEXT" ? iCalendarModel(name, raw) : jsonCalendarModel(name, content);
}

/** NOT_ALLOWED wins over ALLOWED where they overlap; where no event is, the calendar's default. */
function stateIn(model: CalendarModel, intervals: Interval[], t: number): CalendarStateName {
  let allowed = false;
  for (const i of intervals) {
    if (i.start <= t && t < i.end) {
      if (!i.allowed) return "CLOSED";
      allowed = true;
    }
  }
  return allowed || model.defaultOpen ? "OPEN" : "CLOSED";
}

const HORIZONS = [35 * DAY, 400 * DAY, 5 * 366 * DAY];

/**
 * The state of several calendars at `at` (CLOSED if any is closed) and the next instant after it at
 * which that combined state changes, if one comes within five years.
 */
export function evaluate(models: CalendarModel[], at: number): { state: CalendarStateName; nextTransitionTime?: number } {
  let state: CalendarStateName | undefined;
  for (const horizon of HORIZONS) {
    const to = at + horizon;
    const lists = models.map((m) => m.intervals(at, to));
    const combined = (t: number): CalendarStateName => (models.some((m, i) => stateIn(m, lists[i], t) === "CLOSED") ? "CLOSED" : "OPEN");
    state ??= combined(at);
    const boundaries = new Set<number>();
    for (const list of lists) {
      for (const i of list) {
        if (i.start > at && i.start <= to) boundaries.add(i.start);
        if (i.end > at && i.end <= to) boundaries.add(i.end);
      }
    }
    for (const b of [...boundaries].sort((x, y) => x - y)) {
      if (combined(b) !== state) return { state, nextTransitionTime: b };
    }
  }
  return { state: state ?? "OPEN" };
}

/**
 * AWS's schedule expressions, for every capability that runs work at a time (maintenance windows,
 * State Manager associations, change calendars' recurring events):
 * - `cron(minutes hours day-of-month month day-of-week year)`, with an optional seconds field first;
 *   `,` `-` `*` `/`, names (JAN-DEC, SUN-SAT), `?` in one of the two day fields, `L` (`L`, `L-3`,
 *   `6L`), `W` (`15W`, `LW`) and `#` (`TUE#3`); day-of-week runs 1 (SUN) to 7 (SAT);
 * - `rate(N minute|minutes|hour|hours|day|days)`, singular for 1 and plural above;
 * - `at(yyyy-mm-ddThh:mm:ss)`, once.
 * Occurrences are computed in an IANA time zone (UTC by default), with daylight saving handled.
 */
import { dayOfWeek, daysInMonth, fromLocal, toLocal } from "./zoned-time.js";

export { isTimeZone } from "./zoned-time.js";

export type ScheduleKind = "cron" | "rate" | "at";

/** The day-of-month field: every day, a set of days, the last day (less `offset`), the weekday nearest a day, the last weekday. */
export type DayOfMonthSpec =
  | { kind: "any" }
  | { kind: "days"; days: number[] }
  | { kind: "last"; offset: number }
  | { kind: "nearestWeekday"; day: number }
  | { kind: "lastWeekday" };

/** The day-of-week field (1 = SUN ... 7 = SAT): every day, a set, the last such day of the month, the nth such day. */
export type DayOfWeekSpec = { kind: "any" } | { kind: "days"; days: number[] } | { kind: "last"; day: number } | { kind: "nth"; day: number; n: number };

export interface CronFields {
  seconds: number[];
  minutes: number[];
  hours: number[];
  dayOfMonth: DayOfMonthSpec;
  months: number[];
  dayOfWeek: DayOfWeekSpec;
  /** undefined: every year up to 2199. */
  years?: number[];
}

export interface Schedule {
  kind: ScheduleKind;
  /** The expression as given (trimmed). */
  expression: string;
  cron?: CronFields;
  rate?: { value: number; unit: "minute" | "hour" | "day"; ms: number };
  /** at(...): the local date and time (in the schedule's time zone, UTC by default). */
  at?: { year: number; month: number; day: number; hour: number; minute: number; second: number };
}

/** A schedule expression that can't be used; the message names the expression and what is wrong. */
export class ScheduleError extends Error {
  constructor(
    readonly expression: string,
    readonly problem: string,
  ) {
    super(`The schedule expression ${expression} is not valid: ${problem}`);
    this.name = "ScheduleError";
  }
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MAX_YEAR = 2199;
const MIN_YEAR = 1970;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: string[];
}

const F_SECONDS: FieldDef = { name: "Seconds", min: 0, max: 59 };
const F_MINUTES: FieldDef = { name: "Minutes", min: 0, max: 59 };
const F_HOURS: FieldDef = { name: "Hours", min: 0, max: 23 };
const F_DOM: FieldDef = { name: "Day-of-month", min: 1, max: 31 };
const F_MONTH: FieldDef = { name: "Month", min: 1, max: 12, names: MONTHS };
const F_DOW: FieldDef = { name: "Day-of-week", min: 1, max: 7, names: WEEKDAYS };
const F_YEAR: FieldDef = { name: "Year", min: MIN_YEAR, max: MAX_YEAR };

/** One value of a field: a number in range or one of the field's names (JAN, MON). */
function fieldValue(text: string, def: FieldDef, fail: (problem: string) => never): number {
  const upper = text.toUpperCase();
  if (def.names) {
    const i = def.names.indexOf(upper);
    if (i >= 0) return i + 1;
  }
  if (!/^\d+$/.test(text)) {
    const names = def.names ? ` or ${def.names[0]}-${def.names[def.names.length - 1]}` : "";
    fail(`'${text}' in the ${def.name} field is not a value (${def.min}-${def.max}${names}).`);
  }
  const n = Number(text);
  if (n < def.min || n > def.max) fail(`${n} in the ${def.name} field is outside ${def.min}-${def.max}.`);
  return n;
}

/** A list field: items separated by commas, each `*`, a value, a range `a-b` (wrapping past the end), with an optional `/step`. */
function listField(text: string, def: FieldDef, fail: (problem: string) => never): number[] {
  const values = new Set<number>();
  for (const item of text.split(",")) {
    if (item === "") fail(`the ${def.name} field '${text}' has an empty item.`);
    const [range, stepText, extra] = item.split("/");
    if (extra !== undefined) fail(`'${item}' in the ${def.name} field has more than one '/'.`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) fail(`the step in '${item}' (${def.name} field) must be a positive whole number.`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === "*") {
      from = def.min;
      to = def.max;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-");
      if (more !== undefined || a === "" || b === "") fail(`'${item}' in the ${def.name} field is not a range such as 1-5.`);
      from = fieldValue(a, def, fail);
      to = fieldValue(b, def, fail);
    } else {
      from = fieldValue(range, def, fail);
      to = stepText === undefined ? from : def.max;
    }
    const span = def.max - def.min + 1;
    const count = to >= from ? to - from : to + span - from;
    for (let k = 0; k <= count; k += step) values.add(((from - def.min + k) % span) + def.min);
  }
  return [...values].sort((a, b) => a - b);
}

function dayOfMonthField(text: string, fail: (problem: string) => never): DayOfMonthSpec {
  if (text === "?") return { kind: "any" };
  const upper = text.toUpperCase();
  if (upper === "L") return { kind: "last", offset: 0 };
  if (upper === "LW") return { kind: "lastWeekday" };
  const lastMinus = /^L-(\d+)$/.exec(upper);
  if (lastMinus) {
    const offset = Number(lastMinus[1]);
    if (offset > 30) fail(`L-${offset} in the Day-of-month field reaches before the first day of the month (at most L-30).`);
    return { kind: "last", offset };
  }
  const weekday = /^(\d+)W$/.exec(upper);
  if (weekday) return { kind: "nearestWeekday", day: fieldValue(weekday[1], F_DOM, fail) };
  if (/[LW#]/.test(upper)) fail(`'${text}' in the Day-of-month field: L and W stand alone (L, L-3, LW, 15W), not in lists or ranges.`);
  return { kind: "days", days: listField(text, F_DOM, fail) };
}

function dayOfWeekField(text: string, fail: (problem: string) => never): DayOfWeekSpec {
  if (text === "?") return { kind: "any" };
  const upper = text.toUpperCase();
  if (upper === "L") return { kind: "last", day: 7 };
  const last = /^([A-Z]{3}|\d+)L$/.exec(upper);
  if (last) return { kind: "last", day: fieldValue(last[1], F_DOW, fail) };
  const nth = /^([A-Z]{3}|\d+)#(\d+)$/.exec(upper);
  if (nth) {
    const n = Number(nth[2]);
    if (n < 1 || n > 5) fail(`'${text}' in the Day-of-week field: the number after # must be 1-5 (which week of the month).`);
    return { kind: "nth", day: fieldValue(nth[1], F_DOW, fail), n };
  }
  if (/[L#]/.test(upper)) fail(`'${text}' in the Day-of-week field: L and # stand alone (6L, FRIL, TUE#3), not in lists or ranges.`);
  return { kind: "days", days: listField(text, F_DOW, fail) };
}

function parseCron(expression: string, body: string, fail: (problem: string) => never): CronFields {
  const fields = body.trim().split(/\s+/);
  if (fields.length !== 6 && fields.length !== 7) {
    fail(
      `a cron expression has six fields (Minutes Hours Day-of-month Month Day-of-week Year) and optionally Seconds before them; this one has ${fields.length}. Example: cron(0 2 ? * SUN *).`,
    );
  }
  const [secondsText, ...rest] = fields.length === 7 ? fields : ["0", ...fields];
  const [minText, hourText, domText, monthText, dowText, yearText] = rest;
  if ((domText === "?") === (dowText === "?")) {
    fail(
      domText === "?"
        ? "only one of Day-of-month and Day-of-week may be '?'; give a value or * in the other."
        : "one of Day-of-month and Day-of-week must be '?' (AWS can't combine both); for example cron(0 2 ? * SUN *) or cron(0 2 1 * ? *).",
    );
  }
  const years = yearText === "*" ? undefined : listField(yearText, F_YEAR, fail);
  void expression;
  return {
    seconds: listField(secondsText, F_SECONDS, fail),
    minutes: listField(minText, F_MINUTES, fail),
    hours: listField(hourText, F_HOURS, fail),
    dayOfMonth: dayOfMonthField(domText, fail),
    months: listField(monthText, F_MONTH, fail),
    dayOfWeek: dayOfWeekField(dowText, fail),
    years,
  };
}

function parseRate(body: string, minRateMinutes: number | undefined, fail: (problem: string) => never): NonNullable<Schedule["rate"]> {
  const m = /^\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*$/.exec(body);
  if (!m) fail("a rate expression is rate(N minutes), rate(N hours) or rate(N days), such as rate(30 minutes) or rate(1 day).");
  const value = Number(m[1]);
  const word = m[2];
  if (value < 1) fail("the rate must be a positive whole number.");
  const plural = word.endsWith("s");
  if (value === 1 && plural) fail(`use the singular unit for 1: rate(1 ${word.slice(0, -1)}).`);
  if (value > 1 && !plural) fail(`use the plural unit for ${value}: rate(${value} ${word}s).`);
  const unit = (plural ? word.slice(0, -1) : word) as "minute" | "hour" | "day";
  const ms = value * (unit === "minute" ? MINUTE : unit === "hour" ? HOUR : DAY);
  if (minRateMinutes !== undefined && ms < minRateMinutes * MINUTE) fail(`the rate must be at least ${minRateMinutes} minutes.`);
  return { value, unit, ms };
}

function parseAt(body: string, fail: (problem: string) => never): NonNullable<Schedule["at"]> {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\s*$/.exec(body);
  if (!m) fail("a one-time schedule is at(yyyy-mm-ddThh:mm:ss), such as at(2026-12-01T10:00:00).");
  const [year, month, day, hour, minute, second] = m.slice(1).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    fail(`${body.trim()} is not a date and time that exists.`);
  }
  return { year, month, day, hour, minute, second };
}

/**
 * Parses a schedule expression; throws ScheduleError naming the expression and what to fix.
 * `allow` limits the kinds (associations: cron and rate); `minRateMinutes` the shortest rate.
 */
export function parseSchedule(expression: string, opts: { minRateMinutes?: number; allow?: ScheduleKind[] } = {}): Schedule {
  const text = expression.trim();
  const fail: (problem: string) => never = (problem) => {
    throw new ScheduleError(text, problem);
  };
  const m = /^(cron|rate|at)\((.*)\)$/s.exec(text);
  const allow = opts.allow ?? ["cron", "rate", "at"];
  const forms = allow.map((k) => (k === "cron" ? "cron(...)" : k === "rate" ? "rate(...)" : "at(...)")).join(", ");
  if (!m) fail(`a schedule is one of ${forms}.`);
  const kind = m[1] as ScheduleKind;
  if (!allow.includes(kind)) fail(`${kind}(...) schedules are not accepted here; use ${forms}.`);
  if (kind === "cron") return { kind, expression: text, cron: parseCron(text, m[2], fail) };
  if (kind === "rate") return { kind, expression: text, rate: parseRate(m[2], opts.minRateMinutes, fail) };
  return { kind, expression: text, at: parseAt(m[2], fail) };
}

function nearestWeekday(year: number, month: number, day: number): number {
  const dim = daysInMonth(year, month);
  const d = Math.min(day, dim);
  const dow = dayOfWeek(year, month, d);
  if (dow === 6) return d === 1 ? 3 : d - 1;
  if (dow === 0) return d === dim ? d - 2 : d + 1;
  return d;
}

function lastWeekday(year: number, month: number): number {
  const dim = daysInMonth(year, month);
  const dow = dayOfWeek(year, month, dim);
  return dow === 6 ? dim - 1 : dow === 0 ? dim - 2 : dim;
}

/** Whether a local date matches the day fields (one of them is `?`, so only the other decides). */
function dayMatches(c: CronFields, year: number, month: number, day: number): boolean {
  const dom = c.dayOfMonth;
  switch (dom.kind) {
    case "days":
      if (!dom.days.includes(day)) return false;
      break;
    case "last":
      if (day !== daysInMonth(year, month) - dom.offset) return false;
      break;
    case "nearestWeekday":
      if (day !== nearestWeekday(year, month, dom.day)) return false;
      break;
    case "lastWeekday":
      if (day !== lastWeekday(year, month)) return false;
      break;
  }
  const dow = c.dayOfWeek;
  if (dow.kind === "any") return true;
  const awsDow = dayOfWeek(year, month, day) + 1;
  switch (dow.kind) {
    case "days":
      return dow.days.includes(awsDow);
    case "last":
      return awsDow === dow.day && day + 7 > daysInMonth(year, month);
    case "nth":
      return awsDow === dow.day && Math.ceil(day / 7) === dow.n;
  }
}

/** The first cron match strictly after `after`, in the zone; undefined when the years run out. */
function nextCron(c: CronFields, after: number, timeZone?: string): number | undefined {
  // Wall times more than a few hours before `after`'s own can't be after it, whatever daylight saving does.
  const a = toLocal(after, timeZone);
  const floorWall = Date.UTC(a.year, a.month - 1, a.day, a.hour, a.minute, a.second) - (timeZone ? 3 * HOUR : 0);
  const start = toLocal(floorWall, undefined);
  const lastYear = c.years ? c.years[c.years.length - 1] : MAX_YEAR;
  for (let year = start.year; year <= lastYear; year++) {
    if (c.years && !c.years.includes(year)) continue;
    for (const month of c.months) {
      if (year === start.year && month < start.month) continue;
      const dim = daysInMonth(year, month);
      const firstDay = year === start.year && month === start.month ? start.day : 1;
      for (let day = firstDay; day <= dim; day++) {
        if (!dayMatches(c, year, month, day)) continue;
        const dayWall = Date.UTC(year, month - 1, day);
        const checkFloor = dayWall < floorWall;
        for (const hour of c.hours) {
          for (const minute of c.minutes) {
            for (const second of c.seconds) {
              if (checkFloor && dayWall + hour * HOUR + minute * MINUTE + second * 1000 < floorWall) continue;
              const t = fromLocal(year, month, day, hour, minute, second, timeZone);
              if (t > after) return t;
            }
          }
        }
      }
    }
  }
  return undefined;
}

/** The same wall time `days` local days later. */
function shiftDays(t: number, days: number, timeZone?: string): number {
  if (!days) return t;
  const l = toLocal(t, timeZone);
  const d = new Date(Date.UTC(l.year, l.month - 1, l.day + days));
  return fromLocal(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), l.hour, l.minute, l.second, timeZone);
}

export interface OccurrenceOptions {
  /** IANA time zone the expression's wall times are in (UTC by default). */
  timeZone?: string;
  /** Days after each cron match that the occurrence falls (ScheduleOffset); cron only. */
  offsetDays?: number;
  /** A cron match at or before this instant does not count, even if its offset day is later (AWS: a passed day's offset run is skipped). */
  notBefore?: number;
  /** rate(...): the instant of the first occurrence; later ones follow every rate period. Default: `after`. */
  anchor?: number;
}

/**
 * The first occurrence strictly after `after` (epoch ms), in `timeZone` (IANA, DST handled), or
 * undefined if none (at() passed, cron years ended).
 */
export function nextOccurrence(s: Schedule, after: number, opts: OccurrenceOptions = {}): number | undefined {
  const { timeZone } = opts;
  if (s.at) {
    const a = s.at;
    const t = fromLocal(a.year, a.month, a.day, a.hour, a.minute, a.second, timeZone);
    return t > after ? t : undefined;
  }
  if (s.rate) {
    const anchor = opts.anchor ?? after;
    if (anchor > after) return anchor;
    const k = Math.floor((after - anchor) / s.rate.ms) + 1;
    return anchor + k * s.rate.ms;
  }
  const c = s.cron as CronFields;
  const offset = opts.offsetDays ?? 0;
  const floor = opts.notBefore ?? Number.NEGATIVE_INFINITY;
  // A match whose shifted instant is after `after` is `offset` local days before it (give or take a DST hour).
  let from = Math.max(offset ? shiftDays(after, -offset, timeZone) - 3 * HOUR : after, floor);
  for (let guard = 0; guard < 100_000; guard++) {
    const match = nextCron(c, from, timeZone);
    if (match === undefined) return undefined;
    const shifted = shiftDays(match, offset, timeZone);
    if (shifted > after) return shifted;
    from = match;
  }
  return undefined;
}

/** The next `count` occurrences after `after` (DescribeMaintenanceWindowSchedule, previews). */
export function occurrences(s: Schedule, after: number, count: number, opts: OccurrenceOptions = {}): number[] {
  const out: number[] = [];
  let t = after;
  const anchor = opts.anchor ?? (s.rate ? after : undefined);
  while (out.length < count) {
    const next = nextOccurrence(s, t, { ...opts, anchor });
    if (next === undefined) break;
    out.push(next);
    t = next;
  }
  return out;
}

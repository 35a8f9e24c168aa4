/**
 * Wall-clock time in an IANA time zone, from the runtime's own time-zone data (Intl), with daylight
 * saving handled: a local time that does not exist (the hour skipped in spring) maps to the same
 * distance past the gap, and one that exists twice (the hour repeated in autumn) to its first instant.
 */

/** A local date and time; `month` 1-12, `dow` 0 (Sunday) - 6 (Saturday). */
export interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  dow: number;
}

const UTC_NAMES = new Set(["UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z"]);
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      weekday: "short",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** Whether the name is an IANA time zone the runtime knows (Europe/Berlin, America/Los_Angeles, UTC). */
export function isTimeZone(name: string): boolean {
  if (UTC_NAMES.has(name)) return true;
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]*$/.test(name)) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

const isUtc = (timeZone: string | undefined) => !timeZone || UTC_NAMES.has(timeZone);

/** The local date and time of an instant in the zone (UTC when none is given). */
export function toLocal(epochMs: number, timeZone?: string): LocalTime {
  const d = new Date(isUtc(timeZone) ? epochMs : epochMs + zoneOffset(epochMs, timeZone));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    dow: d.getUTCDay(),
  };
}

/** The zone's wall clock at an instant, read from Intl (slow: zoneOffset caches what it finds). */
function intlLocal(epochMs: number, timeZone: string): LocalTime {
  const parts = formatter(timeZone).formatToParts(new Date(epochMs));
  const t: LocalTime = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, dow: 0 };
  for (const p of parts) {
    switch (p.type) {
      case "year":
        t.year = Number(p.value);
        break;
      case "month":
        t.month = Number(p.value);
        break;
      case "day":
        t.day = Number(p.value);
        break;
      case "hour":
        t.hour = Number(p.value);
        break;
      case "minute":
        t.minute = Number(p.value);
        break;
      case "second":
        t.second = Number(p.value);
        break;
      case "weekday":
        t.dow = WEEKDAYS[p.value] ?? 0;
        break;
    }
  }
  return t;
}

const QUARTER_HOUR = 900_000;
/** Offsets by zone and quarter hour: zones change their offset only at quarter-hour instants (since 1900). */
const offsetCache = new Map<string, Map<number, number>>();

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
export function zoneOffset(epochMs: number, timeZone?: string): number {
  if (isUtc(timeZone)) return 0;
  const zone = timeZone as string;
  const bucket = Math.floor(epochMs / QUARTER_HOUR);
  let cache = offsetCache.get(zone);
  if (!cache) offsetCache.set(zone, (cache = new Map()));
  const known = cache.get(bucket);
  if (known !== undefined) return known;
  const whole = bucket * QUARTER_HOUR;
  const l = intlLocal(whole, zone);
  const offset = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second) - whole;
  if (cache.size > 200_000) cache.clear();
  cache.set(bucket, offset);
  return offset;
}

const HOUR = 3_600_000;

/**
 * The instant of a local date and time in the zone. Skipped local times (spring forward) land as
 * far past the gap as they were into it; repeated ones (fall back) give their first instant.
 */
export function fromLocal(year: number, month: number, day: number, hour: number, minute: number, second: number, timeZone?: string): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  if (isUtc(timeZone)) return wall;
  const before = zoneOffset(wall - 14 * HOUR, timeZone);
  const after = zoneOffset(wall + 14 * HOUR, timeZone);
  const candidates = before === after ? [before] : [Math.max(before, after), Math.min(before, after)];
  for (const offset of candidates) {
    const t = wall - offset;
    if (zoneOffset(t, timeZone) === offset) return t;
  }
  return wall - before;
}

/** Days in a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The day of the week (0 = Sunday) of a date. */
export function dayOfWeek(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

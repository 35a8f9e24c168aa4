import { nextOccurrence, parseSchedule, type Schedule } from "../../scheduler/expressions.js";
import { zoneOffset } from "../../scheduler/zoned-time.js";
import type { WindowRow } from "./tables.js";

type WindowTiming = Pick<WindowRow, "schedule" | "schedule_timezone" | "schedule_offset" | "start_at" | "end_at" | "anchor_at">;

const parsed = new Map<string, Schedule>();

/** The window's schedule, parsed (validated when the window was written). */
export function scheduleOf(expression: string): Schedule {
  let s = parsed.get(expression);
  if (!s) {
    s = parseSchedule(expression);
    if (parsed.size > 10_000) parsed.clear();
    parsed.set(expression, s);
  }
  return s;
}

/**
 * The window's first start strictly after `after`, within its StartDate and EndDate, in its time zone
 * with its offset; undefined when none comes (at() passed, EndDate reached, cron years over).
 */
export function nextStart(w: WindowTiming, after: number): number | undefined {
  const s = scheduleOf(w.schedule);
  const from = w.start_at !== null ? Math.max(after, w.start_at - 1) : after;
  const t = nextOccurrence(s, from, {
    timeZone: w.schedule_timezone ?? undefined,
    offsetDays: s.cron ? (w.schedule_offset ?? 0) : 0,
    notBefore: s.cron && w.schedule_offset ? w.anchor_at : undefined,
    anchor: s.rate ? w.anchor_at : undefined,
  });
  if (t === undefined || (w.end_at !== null && t > w.end_at)) return undefined;
  return t;
}

/** The next `count` starts after `after`. */
export function nextStarts(w: WindowTiming, after: number, count: number): number[] {
  const out: number[] = [];
  let t = after;
  while (out.length < count) {
    const n = nextStart(w, t);
    if (n === undefined) break;
    out.push(n);
    t = n;
  }
  return out;
}

/** A time as the window APIs show it: minutes, in the window's time zone (2026-12-06T02:00+01:00, or Z for UTC). */
export function windowTime(ms: number, timeZone: string | null): string {
  const offset = timeZone ? zoneOffset(ms, timeZone) : 0;
  const local = new Date(ms + offset).toISOString().slice(0, 16);
  if (offset === 0) return `${local}Z`;
  const sign = offset > 0 ? "+" : "-";
  const abs = Math.abs(offset) / 60_000;
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

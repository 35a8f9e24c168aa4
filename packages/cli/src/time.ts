import { usageError } from "./errors.js";

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A point in time from a flag: an ISO-8601 date (2026-01-31T10:00:00Z), epoch seconds, or a
 * duration back from now (-1h, 30m, -2d; units s m h d w).
 */
export function parseTime(flag: string, text: string, now = Date.now()): number {
  const rel = /^-?(\d+(?:\.\d+)?)([smhdw])$/.exec(text.trim());
  if (rel) return now - Number(rel[1]) * UNIT_MS[rel[2]];
  if (/^\d{9,11}$/.test(text.trim())) return Number(text.trim()) * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t))
    throw usageError(`${flag} '${text}' is not a time: use ISO-8601 (2026-01-31T10:00:00Z), epoch seconds or a duration back from now (-1h, -30m, -2d)`);
  return t;
}

export function parseLimit(text: string | undefined, fallback: number, max = 100_000): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw usageError(`--limit must be a whole number from 1 to ${max}, got '${text}'`);
  return n;
}

/** A table with padded columns for a terminal. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n") + "\n";
}

import { StringDecoder } from "node:string_decoder";
import type { RecordedEvent } from "./recording.js";

export interface AsciicastHeader {
  startedAt: number;
  title?: string;
  defaultWidth?: number;
  defaultHeight?: number;
}

/**
 * A recording as asciicast v2 (newline-delimited JSON: a header, then `[seconds, "o"|"i"|"r", data]`).
 * Bytes are decoded as UTF-8 per direction, so a character split across two frames stays whole.
 */
export function toAsciicast(events: RecordedEvent[], h: AsciicastHeader): string {
  let width = h.defaultWidth ?? 80;
  let height = h.defaultHeight ?? 24;
  const firstSize = events.find((e) => e.kind === "r");
  if (firstSize) {
    const m = /^(\d+)x(\d+)$/.exec(firstSize.data.toString("utf8"));
    if (m) {
      width = Number(m[1]);
      height = Number(m[2]);
    }
  }
  const header = {
    version: 2,
    width,
    height,
    timestamp: Math.floor(h.startedAt / 1000),
    ...(h.title ? { title: h.title } : {}),
    env: { TERM: "xterm-256color", SHELL: "/bin/sh" },
  };
  const lines = [JSON.stringify(header)];
  const decoders = { o: new StringDecoder("utf8"), i: new StringDecoder("utf8") };
  for (const e of events) {
    const t = Math.round(e.ms) / 1000;
    const text = e.kind === "r" ? e.data.toString("utf8") : decoders[e.kind].write(e.data);
    if (text) lines.push(JSON.stringify([t, e.kind, text]));
  }
  for (const kind of ["o", "i"] as const) {
    const rest = decoders[kind].end();
    if (rest) lines.push(JSON.stringify([events.length ? Math.round(events[events.length - 1].ms) / 1000 : 0, kind, rest]));
  }
  return `${lines.join("\n")}\n`;
}

/** The plain transcript: everything the session printed, bytes as they came. */
export function transcript(events: RecordedEvent[], kinds: ("o" | "i")[] = ["o"]): Buffer {
  return Buffer.concat(events.filter((e) => (kinds as string[]).includes(e.kind)).map((e) => e.data));
}

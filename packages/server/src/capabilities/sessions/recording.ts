import type { Logger } from "pino";
import { newDataKey, openDataKey, seal, unseal } from "../../crypto/seal.js";
import type { AnyDb } from "../../storage/database.js";
import { sessionDb } from "./tables.js";

/**
 * Session recordings: every byte a session printed (and typed, for interactive sessions) and every
 * terminal resize, with its time. Stored in chunks, each sealed (AES-256-GCM) under a per-session
 * data key that is itself sealed under the server's master key. Nothing reaches disk in plaintext.
 *
 * Chunk plaintext: records of [u32 ms since session start][u8 kind][u32 length][bytes].
 */
export type EventKind = "o" | "i" | "r";
const KIND_CODE: Record<EventKind, number> = { o: 1, i: 2, r: 3 };
const CODE_KIND: Record<number, EventKind> = { 1: "o", 2: "i", 3: "r" };

export interface RecordedEvent {
  /** milliseconds since the session started */
  ms: number;
  kind: EventKind;
  data: Buffer;
}

const keyAad = (sessionId: string) => `session-recording:${sessionId}`;
const chunkAad = (sessionId: string, seq: number) => `session-recording:${sessionId}:${seq}`;

/** A fresh data key for a session, sealed under the master key (what StartSession stores). */
export function newRecordingKey(masterKey: Buffer, sessionId: string): Buffer {
  return newDataKey(masterKey, keyAad(sessionId));
}

export function openRecordingKey(masterKey: Buffer, sessionId: string, sealed: Buffer): Buffer {
  return openDataKey(masterKey, sealed, keyAad(sessionId));
}

function encodeEvents(events: RecordedEvent[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of events) {
    const head = Buffer.alloc(9);
    head.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(e.ms))), 0);
    head.writeUInt8(KIND_CODE[e.kind], 4);
    head.writeUInt32BE(e.data.length, 5);
    parts.push(head, e.data);
  }
  return Buffer.concat(parts);
}

function decodeEvents(buf: Buffer): RecordedEvent[] {
  const out: RecordedEvent[] = [];
  let at = 0;
  while (at + 9 <= buf.length) {
    const ms = buf.readUInt32BE(at);
    const kind = CODE_KIND[buf.readUInt8(at + 4)];
    const len = buf.readUInt32BE(at + 5);
    const data = buf.subarray(at + 9, at + 9 + len);
    at += 9 + len;
    if (kind) out.push({ ms, kind, data: Buffer.from(data) });
  }
  return out;
}

const FLUSH_BYTES = 32 * 1024;
const FLUSH_MS = 500;

/** Buffers a live session's events and writes them as sealed chunks. */
export class Recorder {
  private pending: RecordedEvent[] = [];
  private pendingBytes = 0;
  private seq = -1;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private db: AnyDb,
    private log: Logger,
    private sessionId: string,
    private startedAt: number,
    private key: Buffer,
    private wallClock: () => number,
  ) {}

  record(kind: EventKind, data: Buffer): void {
    if (this.closed || data.length === 0) return;
    this.pending.push({ ms: this.wallClock() - this.startedAt, kind, data: Buffer.from(data) });
    this.pendingBytes += data.length;
    if (this.pendingBytes >= FLUSH_BYTES) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /** Writes what is buffered; resolves when every chunk so far is stored. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const events = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (events.length === 0) return this.writing;
    this.writing = this.writing.then(async () => {
      try {
        const d = sessionDb(this.db);
        if (this.seq < 0) {
          const row = await d
            .selectFrom("session_recording_chunks")
            .select((eb) => eb.fn.max("seq").as("max"))
            .where("session_id", "=", this.sessionId)
            .executeTakeFirst();
          this.seq = row?.max === null || row?.max === undefined ? 0 : Number(row.max) + 1;
        }
        const seq = this.seq++;
        const data = seal(this.key, encodeEvents(events), chunkAad(this.sessionId, seq));
        await d
          .insertInto("session_recording_chunks")
          .values({ session_id: this.sessionId, seq, at: this.startedAt + events[0].ms, data })
          .execute();
      } catch (err) {
        this.log.error({ err, sessionId: this.sessionId, lost: events.length }, "a session recording chunk could not be stored");
      }
    });
    return this.writing;
  }

  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
  }
}

/** Every event of a session's recording, in order. */
export async function readRecording(db: AnyDb, masterKey: Buffer, sessionId: string, sealedKey: Buffer): Promise<RecordedEvent[]> {
  const key = openRecordingKey(masterKey, sessionId, sealedKey);
  const rows = await sessionDb(db).selectFrom("session_recording_chunks").select(["seq", "data"]).where("session_id", "=", sessionId).orderBy("seq").execute();
  const events: RecordedEvent[] = [];
  for (const r of rows) events.push(...decodeEvents(unseal(key, Buffer.from(r.data), chunkAad(sessionId, r.seq))));
  return events;
}

/** Deletes the recordings whose retention ended; returns how many sessions were purged. */
export async function purgeExpiredRecordings(db: AnyDb, now: number): Promise<number> {
  const d = sessionDb(db);
  const due = await d
    .selectFrom("sessions")
    .select("session_id")
    .where("retain_until", "is not", null)
    .where("retain_until", "<", now)
    .where("recording_purged", "=", 0)
    .limit(200)
    .execute();
  for (const { session_id } of due) {
    await d.deleteFrom("session_recording_chunks").where("session_id", "=", session_id).execute();
    await d.updateTable("sessions").set({ recording_purged: 1 }).where("session_id", "=", session_id).execute();
  }
  return due.length;
}

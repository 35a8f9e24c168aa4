import { open } from "node:fs/promises";

/** AWS's caps on a plugin's standardOutput / standardError in a reply, and on its combined `output`. */
export const STDOUT_CAP = 24_000;
export const STDERR_CAP = 8_000;
export const OUTPUT_CAP = 2_500;

/** What is persisted about one stream of a running step: a checkpoint where everything read was sent. */
export interface StreamProgress {
  /** Bytes of the output file read and sent (always at a character boundary). */
  bytesRead: number;
  /** UTF-16 units of the whole text sent to the server in pieces, up to `bytesRead`. */
  unitsSent: number;
  /** The first `cap` characters of the whole text (what the reply's standardOutput shows). */
  head: string;
}

/**
 * One output stream (stdout or stderr) of a step: keeps the head the reply shows (the first
 * `cap` characters) and the text not yet sent, and hands it out in pieces that carry their offset
 * in the whole text (the openssm standardOutputOffset extension), so the server can keep it all.
 * After a restart, reading resumes from the checkpoint; pieces sent again carry the same offsets.
 */
export class OutputStream {
  private pending = "";
  /** Units of the whole text seen so far (sent + pending). */
  private units: number;
  private sent: number;
  private readPos: number;
  /** Units of text dropped because the stream passed `limit`. */
  dropped = 0;

  constructor(
    readonly cap: number,
    readonly limit: number,
    public progress: StreamProgress = { bytesRead: 0, unitsSent: 0, head: "" },
  ) {
    this.units = this.sent = progress.unitsSent;
    this.readPos = progress.bytesRead;
  }

  get head(): string {
    return this.progress.head;
  }

  /** Total length of the text so far (in UTF-16 units). */
  get length(): number {
    return this.units;
  }

  get hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Starts reading a new output file (the same whole text continues). */
  nextFile(): void {
    this.readPos = 0;
    if (!this.pending) this.progress.bytesRead = 0;
  }

  feed(text: string): void {
    if (!text) return;
    // the head is written by position, so text read again after a restart cannot duplicate it
    const at = this.units + this.dropped;
    if (at < this.cap) this.progress.head = this.progress.head.slice(0, at) + text.slice(0, this.cap - at);
    const room = this.limit - this.units;
    if (room <= 0) {
      this.dropped += text.length;
      return;
    }
    const take = text.length > room ? text.slice(0, room) : text;
    this.dropped += text.length - take.length;
    this.pending += take;
    this.units += take.length;
  }

  /**
   * The next piece to send with its offset, at most `max` units and at most `maxJsonBytes` once
   * JSON-encoded (a control-channel reply must stay under 120,000 bytes).
   */
  takePiece(max: number, maxJsonBytes = 50_000): { offset: number; text: string } | undefined {
    if (!this.pending) return undefined;
    let n = Math.min(max, this.pending.length);
    let text = this.pending.slice(0, n);
    while (n > 1 && Buffer.byteLength(JSON.stringify(text)) > maxJsonBytes) {
      n = Math.floor(n / 2);
      text = this.pending.slice(0, n);
    }
    // never split a surrogate pair
    const last = text.charCodeAt(text.length - 1);
    if (text.length > 1 && text.length < this.pending.length && last >= 0xd800 && last <= 0xdbff) text = text.slice(0, -1);
    const offset = this.sent;
    this.pending = this.pending.slice(text.length);
    this.sent += text.length;
    if (!this.pending) {
      this.progress.bytesRead = this.readPos;
      this.progress.unitsSent = this.sent;
    }
    return { offset, text };
  }

  /**
   * When the whole text fits in the head, the step's final runtime status carries all of it (at
   * offset 0): nothing more needs sending. Marks it sent and says so.
   */
  settleInHead(): boolean {
    if (this.units > this.cap || this.dropped > 0) return false;
    this.pending = "";
    this.sent = this.units;
    this.progress.bytesRead = this.readPos;
    this.progress.unitsSent = this.sent;
    return true;
  }

  /** The position the next piece starts at (for an empty piece). */
  get sentUnits(): number {
    return this.sent;
  }

  /** Reads what the process wrote to `path` since the last read (whole characters only). */
  async readFrom(path: string, maxBytes = 1 << 20): Promise<void> {
    let fh: import("node:fs/promises").FileHandle;
    try {
      fh = await open(path, "r");
    } catch {
      return;
    }
    try {
      for (;;) {
        const buf = Buffer.alloc(Math.min(maxBytes, 256 * 1024));
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.readPos);
        if (bytesRead === 0) return;
        const whole = completeUtf8Length(buf.subarray(0, bytesRead));
        if (whole === 0) return;
        this.readPos += whole;
        this.feed(buf.subarray(0, whole).toString("utf8"));
        maxBytes -= whole;
        if (maxBytes <= 0 || bytesRead < buf.length) return;
      }
    } finally {
      await fh.close();
    }
  }
}

/** How many leading bytes of `buf` form whole UTF-8 characters (a trailing incomplete one waits for the next read). */
export function completeUtf8Length(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back];
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** amazon-ssm-agent's `output` field: stdout, then an error title and stderr, fitted into `capacity`. */
export function combinedOutput(stdout: string, stderr: string, capacity = OUTPUT_CAP): string {
  const errTitle = "\n----------ERROR-------\n";
  const truncOut = "\n---Output truncated---";
  const truncErr = "\n---Error truncated----";
  const title = stderr.length > 0 ? errTitle : "";
  const space = capacity - title.length;
  if (stdout.length + stderr.length < space) return stdout + title + stderr;
  if (stdout.length > space / 2 && stderr.length > space / 2) {
    const t = space - truncErr.length - truncOut.length;
    return stdout.slice(0, Math.floor(t / 2)) + truncOut + title + stderr.slice(0, Math.floor(t / 2)) + truncErr;
  }
  if (stdout.length <= space / 2) {
    const t = space - truncErr.length;
    return stdout + title + stderr.slice(0, t - stdout.length) + truncErr;
  }
  const t = space - truncOut.length;
  return stdout.slice(0, t - stderr.length) + truncOut + title + stderr;
}

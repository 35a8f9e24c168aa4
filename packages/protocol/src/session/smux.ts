import { Duplex } from "node:stream";

/**
 * smux protocol version 1 (github.com/xtaci/smux), which the session-manager-plugin and
 * amazon-ssm-agent run over a Port session's data channel to carry several TCP connections at once.
 *
 * Frame: [version u8 = 1][cmd u8][length u16 LE][stream id u32 LE][data]. Commands: SYN (open a
 * stream), FIN (the sender closed it), PSH (data), NOP (keepalive). The client opens odd stream ids
 * (3, 5, ...), the server even ones. Version 1 has no flow-control frames.
 */
const VERSION = 1;
const CMD_SYN = 0;
const CMD_FIN = 1;
const CMD_PSH = 2;
const CMD_NOP = 3;
const CMD_UPD = 4;
const HEADER = 8;
/** smux's default MaxFrameSize */
const MAX_FRAME = 32_768;

export interface SmuxOptions {
  client: boolean;
  /** Writes session bytes to the carrier (the data channel). */
  write(bytes: Buffer): void;
  /** A stream the peer opened (server side). */
  onStream?(stream: SmuxStream): void;
  /** The peer broke the protocol; the session is closed. */
  onError?(err: Error): void;
}

export class SmuxStream extends Duplex {
  private finSent = false;
  private finReceived = false;

  constructor(
    private readonly session: SmuxSession,
    readonly id: number,
  ) {
    super({ allowHalfOpen: true });
  }

  override _read(): void {}

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.finSent) {
      cb(new Error(`smux stream ${this.id} is closed`));
      return;
    }
    for (let at = 0; at < chunk.length; at += MAX_FRAME) this.session.frame(CMD_PSH, this.id, chunk.subarray(at, at + MAX_FRAME));
    cb();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.sendFin();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.sendFin();
    this.session.forget(this.id);
    cb(err);
  }

  private sendFin(): void {
    if (this.finSent) return;
    this.finSent = true;
    this.session.frame(CMD_FIN, this.id);
    if (this.finReceived) this.session.forget(this.id);
  }

  /** @internal data from the peer */
  pushData(data: Buffer): void {
    if (!this.finReceived) this.push(data);
  }

  /** @internal the peer closed its side */
  remoteFin(): void {
    if (this.finReceived) return;
    this.finReceived = true;
    this.push(null);
    if (this.finSent) this.session.forget(this.id);
  }
}

export class SmuxSession {
  private pending: Buffer = Buffer.alloc(0);
  private streams = new Map<number, SmuxStream>();
  private nextId: number;
  private closed = false;

  constructor(private readonly opts: SmuxOptions) {
    this.nextId = opts.client ? 1 : 0;
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** @internal */
  frame(cmd: number, id: number, data: Buffer = Buffer.alloc(0)): void {
    if (this.closed) return;
    const head = Buffer.alloc(HEADER);
    head.writeUInt8(VERSION, 0);
    head.writeUInt8(cmd, 1);
    head.writeUInt16LE(data.length, 2);
    head.writeUInt32LE(id, 4);
    this.opts.write(data.length ? Buffer.concat([head, data]) : head);
  }

  /** @internal */
  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Opens a stream (client side: one per accepted local connection). */
  openStream(): SmuxStream {
    if (this.closed) throw new Error("the smux session is closed");
    this.nextId += 2;
    const stream = new SmuxStream(this, this.nextId);
    this.streams.set(stream.id, stream);
    this.frame(CMD_SYN, stream.id);
    return stream;
  }

  /** Feeds bytes received from the carrier. */
  feed(bytes: Buffer): void {
    if (this.closed) return;
    this.pending = this.pending.length ? Buffer.concat([this.pending, bytes]) : bytes;
    while (this.pending.length >= HEADER) {
      const version = this.pending.readUInt8(0);
      const cmd = this.pending.readUInt8(1);
      const length = this.pending.readUInt16LE(2);
      const id = this.pending.readUInt32LE(4);
      const extra = cmd === CMD_UPD ? 8 : cmd === CMD_PSH ? length : 0;
      if (this.pending.length < HEADER + extra) return;
      const data = this.pending.subarray(HEADER, HEADER + extra);
      this.pending = this.pending.subarray(HEADER + extra);
      if (version !== VERSION && version !== 2) {
        this.fail(new Error(`smux version ${version} is not supported`));
        return;
      }
      this.handle(cmd, id, data);
      if (this.closed) return;
    }
  }

  private handle(cmd: number, id: number, data: Buffer): void {
    switch (cmd) {
      case CMD_NOP:
      case CMD_UPD:
        return;
      case CMD_SYN: {
        if (this.streams.has(id)) return;
        const stream = new SmuxStream(this, id);
        this.streams.set(id, stream);
        if (this.opts.onStream) this.opts.onStream(stream);
        else stream.destroy();
        return;
      }
      case CMD_FIN:
        this.streams.get(id)?.remoteFin();
        return;
      case CMD_PSH:
        if (data.length) this.streams.get(id)?.pushData(Buffer.from(data));
        return;
      default:
        this.fail(new Error(`smux command ${cmd} is not known`));
    }
  }

  private fail(err: Error): void {
    this.close();
    this.opts.onError?.(err);
  }

  /** Closes every stream (their local connections end). */
  close(): void {
    if (this.closed) return;
    for (const s of this.streams.values()) s.destroy();
    this.closed = true;
    this.streams.clear();
  }
}

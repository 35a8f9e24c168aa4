import { randomUUID } from "node:crypto";
import { type DecodedAgentMessage, decodeAgentMessage, encodeAgentMessage, encodeJsonMessage } from "../agent-message.js";
import { MessageType } from "../message-types.js";
import type { AcknowledgeContent } from "../mgs-payloads.js";

/**
 * The reliable stream of a Session Manager data channel, as amazon-ssm-agent and the
 * session-manager-plugin run it end to end through the service: each side numbers its stream data
 * messages from 0, acknowledges every one it receives, keeps what it sent until acknowledged and
 * resends it after a retransmission timeout derived from the measured round trip (200 ms at first,
 * at most 1 s), and delivers what it receives in sequence order exactly once.
 *
 * The agent sends output_stream_data and receives input_stream_data; a client the other way round.
 */
export interface StreamChannelOptions {
  role: "agent" | "client";
  /** Writes one binary frame to the websocket; false when it is not open (the frame is resent later). */
  send(frame: Buffer): boolean;
  /**
   * A stream data message, in order. Return false when it cannot be taken yet (it is not
   * acknowledged, so the sender resends it).
   */
  onData(msg: DecodedAgentMessage): boolean;
  /** channel_closed, start_publication, pause_publication, agent_session_state and anything else. */
  onOther?(msg: DecodedAgentMessage): void;
  now?: () => number;
}

interface Outgoing {
  seq: number;
  frame: Buffer;
  sentAt: number;
  attempts: number;
}

const RESEND_TICK_MS = 100;
const INITIAL_RTO_MS = 200;
const MAX_RTO_MS = 1_000;
const MIN_RTO_MS = 10;
const INCOMING_LIMIT = 10_000;
/** At most this many messages are resent per tick (the agent and plugin resend one), so a slow peer is not flooded. */
const RESENDS_PER_TICK = 8;

export class StreamChannel {
  private nextSeq = 0;
  private expected = 0;
  private outgoing = new Map<number, Outgoing>();
  private incoming = new Map<number, DecodedAgentMessage>();
  private rtt = 100;
  private rttVar = 0;
  private rto = INITIAL_RTO_MS;
  private paused = false;
  private timer: NodeJS.Timeout;
  private drainWaiters: (() => void)[] = [];
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly opts: StreamChannelOptions) {
    this.now = opts.now ?? Date.now;
    this.timer = setInterval(() => this.resend(), RESEND_TICK_MS);
    // In a browser (the console) an interval is a number with nothing to unref.
    this.timer.unref?.();
  }

  private get outType(): string {
    return this.opts.role === "agent" ? MessageType.OutputStreamData : MessageType.InputStreamData;
  }

  private get inType(): string {
    return this.opts.role === "agent" ? MessageType.InputStreamData : MessageType.OutputStreamData;
  }

  /** Messages sent and not yet acknowledged. */
  get unacknowledged(): number {
    return this.outgoing.size;
  }

  /** Sends one stream data message (numbered, kept until acknowledged). Empty payloads are not sent. */
  sendData(payloadType: number, payload: Buffer | string): void {
    const data = typeof payload === "string" ? Buffer.from(payload, "utf8") : payload;
    if (this.closed || data.length === 0) return;
    const seq = this.nextSeq++;
    const frame = encodeAgentMessage({
      messageType: this.outType,
      sequenceNumber: seq,
      // amazon-ssm-agent marks its first stream message SYN; the plugin sends no flags.
      flags: this.opts.role === "agent" && seq === 0 ? 1 : 0,
      payloadType,
      payload: data,
    });
    const out: Outgoing = { seq, frame, sentAt: this.now(), attempts: 0 };
    this.outgoing.set(seq, out);
    if (!this.paused) this.opts.send(frame);
  }

  /** Sends a JSON payload (handshake messages, sizes). */
  sendJson(payloadType: number, body: unknown): void {
    this.sendData(payloadType, Buffer.from(JSON.stringify(body), "utf8"));
  }

  /** Feeds one binary frame received from the websocket. */
  receive(frame: Buffer): void {
    let msg: DecodedAgentMessage;
    try {
      msg = decodeAgentMessage(frame);
    } catch {
      return;
    }
    if (msg.messageType === this.inType) this.onStreamData(msg);
    else if (msg.messageType === MessageType.Acknowledge) this.onAcknowledge(msg);
    else {
      if (msg.messageType === MessageType.PausePublication) this.paused = true;
      if (msg.messageType === MessageType.StartPublication) this.paused = false;
      this.opts.onOther?.(msg);
    }
  }

  private acknowledge(msg: DecodedAgentMessage): void {
    const body: AcknowledgeContent = {
      AcknowledgedMessageType: msg.messageType,
      AcknowledgedMessageId: msg.messageId,
      AcknowledgedMessageSequenceNumber: msg.sequenceNumber,
      IsSequentialMessage: true,
    };
    this.opts.send(encodeJsonMessage(MessageType.Acknowledge, body, { flags: this.opts.role === "agent" ? 3 : 0, messageId: randomUUID() }));
  }

  private onStreamData(msg: DecodedAgentMessage): void {
    this.paused = false;
    const seq = msg.sequenceNumber;
    if (seq < this.expected) {
      this.acknowledge(msg);
      return;
    }
    if (seq > this.expected) {
      if (this.incoming.size < INCOMING_LIMIT) {
        this.incoming.set(seq, msg);
        this.acknowledge(msg);
      }
      return;
    }
    if (!this.opts.onData(msg)) return;
    this.acknowledge(msg);
    this.expected++;
    this.pump();
  }

  /**
   * Delivers buffered messages that are now in order. A message the handler cannot take yet stays
   * (it was acknowledged when it arrived early, so it is not resent): it is offered again on the next
   * tick, or when the owner calls pump() after becoming ready.
   */
  pump(): void {
    for (let next = this.incoming.get(this.expected); next; next = this.incoming.get(this.expected)) {
      if (!this.opts.onData(next)) return;
      this.incoming.delete(this.expected);
      this.expected++;
    }
  }

  private onAcknowledge(msg: DecodedAgentMessage): void {
    let ack: AcknowledgeContent;
    try {
      ack = JSON.parse(msg.payload.toString("utf8")) as AcknowledgeContent;
    } catch {
      return;
    }
    const out = this.outgoing.get(Number(ack.AcknowledgedMessageSequenceNumber));
    if (!out) return;
    this.outgoing.delete(out.seq);
    if (out.attempts === 0) this.measure(this.now() - out.sentAt);
    if (this.outgoing.size === 0) for (const w of this.drainWaiters.splice(0)) w();
  }

  /** Round-trip estimate as RFC 6298 (and the agent and plugin) compute it. */
  private measure(sample: number): void {
    this.rttVar = 0.75 * this.rttVar + 0.25 * Math.abs(this.rtt - sample);
    this.rtt = 0.875 * this.rtt + 0.125 * sample;
    this.rto = Math.min(MAX_RTO_MS, this.rtt + Math.max(MIN_RTO_MS, 4 * this.rttVar));
  }

  private resend(): void {
    if (this.closed) return;
    if (this.incoming.has(this.expected)) this.pump();
    if (this.paused || this.outgoing.size === 0) return;
    const now = this.now();
    let n = 0;
    for (const out of this.outgoing.values()) {
      if (now - out.sentAt < this.rto) continue;
      out.sentAt = now;
      out.attempts++;
      this.opts.send(out.frame);
      if (++n >= RESENDS_PER_TICK) break;
    }
  }

  /** Sends again everything not acknowledged (after the websocket reconnected). */
  resendAll(): void {
    for (const out of this.outgoing.values()) {
      out.sentAt = this.now();
      this.opts.send(out.frame);
    }
  }

  /** Resolves when everything sent was acknowledged, or after `timeoutMs`. */
  drained(timeoutMs: number): Promise<void> {
    if (this.outgoing.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.drainWaiters.push(done);
    });
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    for (const w of this.drainWaiters.splice(0)) w();
  }
}

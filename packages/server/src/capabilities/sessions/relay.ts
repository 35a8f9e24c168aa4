import { randomUUID } from "node:crypto";
import { type DecodedAgentMessage, decodeAgentMessage, encodeJsonMessage, MessageType, PayloadType } from "@openssm/protocol";
import type { Logger } from "pino";
import type WebSocket from "ws";
import type { Services } from "../../runtime.js";
import { openRecordingKey, Recorder } from "./recording.js";
import { type SessionStatus, setStatus, touchActivity } from "./store.js";
import { StreamOrder } from "./stream-order.js";
import type { SessionRow } from "./tables.js";

export type Side = "client" | "agent";

/** Why the server ends a session, and what the client is told. */
export type EndReason = "terminated" | "idle" | "duration" | "agent" | "deregistered";

const END_MESSAGES: Record<EndReason, string> = {
  terminated: "",
  idle: "Your session timed out due to inactivity and has been terminated.",
  duration: "Your session has been terminated because it reached the maximum session duration.",
  agent: "",
  deregistered: "The managed node was deregistered; the session has been terminated.",
};

/** What a relay needs from the hub that owns it. */
export interface RelayEnv {
  services: Services;
  log: Logger;
  /** Tells the agent over its control channel that the session ended (channel_closed). */
  closeOnAgent(row: SessionRow): void;
  /** The relay ended and can be forgotten. */
  ended(sessionId: string): void;
}

interface Queued {
  key?: string;
  frame: Buffer;
}

const QUEUE_LIMIT = 20_000;
const ACTIVITY_WRITE_MS = 10_000;
/** How long the agent gets, after it said Terminating, to close its data channel before we do. */
const TERMINATING_GRACE_MS = 5_000;
/** How long an ended session's last output waits for a client that has not connected yet. */
const CLIENT_GRACE_MS = 30_000;

/** Payload types that carry what a session shows (recorded, and activity for the idle timeout). */
const OUTPUT_TYPES: number[] = [PayloadType.Output, PayloadType.StdErr, PayloadType.ExitCode];

/**
 * One session's relay on this replica: the client's and the agent's data-channel websockets, frames
 * passed verbatim between them (queued while the other side is absent), agent_session_state consumed,
 * channel_closed sent on end, and everything shown (and typed, for interactive sessions) recorded.
 */
export class SessionRelay {
  readonly sessionId: string;
  private sockets: Partial<Record<Side, WebSocket>> = {};
  private queues: Record<Side, Queued[]> = { client: [], agent: [] };
  private queuedKeys: Record<Side, Set<string>> = { client: new Set(), agent: new Set() };
  private order: { output: StreamOrder; input: StreamOrder };
  /** Absent when the session is not recorded (port forwarding, unless the operator turned it on). */
  private recorder: Recorder | undefined;
  private phase: "open" | "ending" | "ended" = "open";
  private lastActivity: number;
  private lastActivityStored: number;
  private statusChain: Promise<unknown> = Promise.resolve();
  private graceTimer: NodeJS.Timeout | undefined;
  /** What channel_closed tells the client, once the session is ending. */
  private closingOutput = "";
  /** The client was sent channel_closed (or there is nothing left to show it). */
  private clientNotified = false;
  clientId = "";

  constructor(
    private env: RelayEnv,
    readonly row: SessionRow,
  ) {
    this.sessionId = row.session_id;
    const resumed = row.status !== "Connecting";
    this.order = { output: new StreamOrder(resumed), input: new StreamOrder(resumed) };
    const services = env.services;
    if (row.recorded !== 0) {
      const key = openRecordingKey(services.masterKey, row.session_id, row.recording_key);
      this.recorder = new Recorder(services.db, env.log, row.session_id, row.start_date, key, () => services.clock.now());
    }
    this.lastActivity = row.last_activity_at;
    this.lastActivityStored = row.last_activity_at;
  }

  get ending(): boolean {
    return this.phase !== "open";
  }

  has(side: Side): boolean {
    return this.sockets[side] !== undefined;
  }

  attach(side: Side, ws: WebSocket): void {
    if (this.phase === "ended") {
      ws.close(1000, "session ended");
      return;
    }
    const previous = this.sockets[side];
    this.sockets[side] = ws;
    if (previous && previous !== ws) previous.close(1000, "replaced by a new connection");
    ws.on("message", (data, isBinary) => {
      if (isBinary) this.fromSide(side, toBuffer(data));
    });
    ws.on("close", () => this.detached(side, ws));
    ws.on("error", (err) => this.env.log.debug({ err, sessionId: this.sessionId, side }, "data channel socket error"));
    const queued = this.queues[side];
    this.queues[side] = [];
    this.queuedKeys[side].clear();
    for (const q of queued) ws.send(q.frame);
    if (this.phase === "open" && this.sockets.client && this.sockets.agent) this.status("Connected");
    if (this.phase === "ending" && side === "client" && !this.clientNotified) {
      // A client that arrives after the session ended still sees its last output, then the end.
      ws.send(this.channelClosed(this.closingOutput));
      this.clientNotified = true;
      this.maybeFinish();
    }
  }

  /** A client connecting now would still be shown the session's last output. */
  get awaitingClient(): boolean {
    return this.phase === "ending" && !this.clientNotified;
  }

  private maybeFinish(): void {
    if (this.phase === "ending" && !this.sockets.agent && this.clientNotified) this.finish();
  }

  private detached(side: Side, ws: WebSocket): void {
    if (this.sockets[side] !== ws) return;
    delete this.sockets[side];
    if (this.phase === "ending" && side === "agent") {
      this.maybeFinish();
      return;
    }
    if (this.phase === "open" && side === "client") this.status("Disconnected");
  }

  private other(side: Side): Side {
    return side === "client" ? "agent" : "client";
  }

  private fromSide(side: Side, frame: Buffer): void {
    let msg: DecodedAgentMessage;
    try {
      msg = decodeAgentMessage(frame);
    } catch (err) {
      this.env.log.debug({ err, sessionId: this.sessionId, side }, "dropped a data-channel frame that is not an AgentMessage");
      return;
    }
    if (side === "agent" && msg.messageType === MessageType.AgentSessionState) {
      this.sessionState(msg);
      return;
    }
    if (msg.messageType === MessageType.OutputStreamData && side === "agent") {
      this.order.output.accept(msg, (m) => {
        if (OUTPUT_TYPES.includes(m.payloadType)) {
          this.recorder?.record("o", m.payload);
          this.active();
        }
      });
    } else if (msg.messageType === MessageType.InputStreamData && side === "client") {
      this.order.input.accept(msg, (m) => {
        if (m.payloadType === PayloadType.Output) {
          if (this.row.record_input) this.recorder?.record("i", m.payload);
          this.active();
        } else if (m.payloadType === PayloadType.Size) {
          const size = parseSize(m.payload);
          if (size) this.recorder?.record("r", Buffer.from(size));
        }
      });
    }
    const key = msg.messageType === MessageType.OutputStreamData || msg.messageType === MessageType.InputStreamData ? `${msg.sequenceNumber}` : undefined;
    this.forward(this.other(side), frame, key);
  }

  private forward(to: Side, frame: Buffer, key?: string): void {
    const ws = this.sockets[to];
    if (ws && ws.readyState === ws.OPEN) {
      ws.send(frame);
      return;
    }
    // The other side is not here (yet, or reconnecting): keep the frame, once per stream sequence number.
    if (key !== undefined) {
      if (this.queuedKeys[to].has(key)) return;
      this.queuedKeys[to].add(key);
    }
    const q = this.queues[to];
    q.push({ key, frame });
    if (q.length > QUEUE_LIMIT) {
      const dropped = q.shift();
      if (dropped?.key !== undefined) this.queuedKeys[to].delete(dropped.key);
    }
  }

  private sessionState(msg: DecodedAgentMessage): void {
    let state = "";
    try {
      state = String((JSON.parse(msg.payload.toString("utf8")) as { SessionState?: string }).SessionState ?? "");
    } catch {
      return;
    }
    if (state === "Connected" && this.sockets.client && this.phase === "open") this.status("Connected");
    if (state === "Terminating") this.end("agent");
  }

  private active(): void {
    const now = this.env.services.clock.now();
    this.lastActivity = now;
    if (now - this.lastActivityStored >= ACTIVITY_WRITE_MS) {
      this.lastActivityStored = now;
      void touchActivity(this.env.services.db, this.sessionId, now).catch((err) =>
        this.env.log.warn({ err, sessionId: this.sessionId }, "could not store session activity"),
      );
    }
  }

  private status(status: SessionStatus, details?: string): Promise<unknown> {
    const now = this.env.services.clock.now();
    this.statusChain = this.statusChain
      .then(() => setStatus(this.env.services.db, this.sessionId, status, now, { details }))
      .catch((err) => this.env.log.error({ err, sessionId: this.sessionId, status }, "could not store the session status"));
    return this.statusChain;
  }

  private channelClosed(output: string): Buffer {
    return encodeJsonMessage(
      MessageType.ChannelClosed,
      {
        MessageType: MessageType.ChannelClosed,
        MessageId: randomUUID(),
        CreatedDate: new Date(this.env.services.clock.now()).toISOString(),
        DestinationId: this.clientId,
        SessionId: this.sessionId,
        SchemaVersion: 1,
        Output: output,
      },
      { flags: 3 },
    );
  }

  /**
   * Ends the session: the client is told (channel_closed) and exits; the agent is told on the data and
   * control channels unless it is the one ending. The session is Terminated once the agent's data
   * channel closes, or after a short grace. When the session ended by itself before its client came,
   * the relay waits a little for the client, so it sees the last output (a Run As error, say).
   */
  end(reason: EndReason, output = END_MESSAGES[reason]): void {
    if (this.phase !== "open") return;
    this.phase = "ending";
    this.closingOutput = output;
    void this.status("Terminating");
    const client = this.sockets.client;
    if (client && client.readyState === client.OPEN) client.send(this.channelClosed(output));
    this.clientNotified = client !== undefined || reason !== "agent" || this.queues.client.length === 0;
    if (reason !== "agent") {
      const agent = this.sockets.agent;
      if (agent && agent.readyState === agent.OPEN) agent.send(this.channelClosed(output));
      this.env.closeOnAgent(this.row);
    }
    if (!this.sockets.agent && this.clientNotified) {
      this.finish();
      return;
    }
    const grace = !this.clientNotified ? CLIENT_GRACE_MS : reason === "agent" ? TERMINATING_GRACE_MS : 1_000;
    this.graceTimer = setTimeout(() => this.finish(), grace);
    this.graceTimer.unref();
  }

  /** The session is over: record the end, close both sockets. */
  finish(details?: string): void {
    if (this.phase === "ended") return;
    this.phase = "ended";
    if (this.graceTimer) clearTimeout(this.graceTimer);
    const done = this.status("Terminated", details);
    for (const side of ["client", "agent"] as const) {
      const ws = this.sockets[side];
      delete this.sockets[side];
      if (ws) ws.close(1000, "session terminated");
    }
    void Promise.all([done, this.recorder?.close(), this.storeActivity()]).finally(() => this.env.ended(this.sessionId));
  }

  private async storeActivity(): Promise<void> {
    if (this.lastActivity > this.lastActivityStored) await touchActivity(this.env.services.db, this.sessionId, this.lastActivity).catch(() => {});
  }

  /** Server shutdown: keep the session's state, store what was recorded, drop the sockets. */
  async shutdown(): Promise<void> {
    this.phase = "ended";
    if (this.graceTimer) clearTimeout(this.graceTimer);
    for (const ws of Object.values(this.sockets)) ws?.terminate();
    this.sockets = {};
    await Promise.all([this.recorder?.close(), this.storeActivity(), this.statusChain]);
  }
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** `{"cols":80,"rows":24}` → "80x24" */
function parseSize(payload: Buffer): string | undefined {
  try {
    const s = JSON.parse(payload.toString("utf8")) as { cols?: number; rows?: number };
    if (Number.isInteger(s.cols) && Number.isInteger(s.rows)) return `${s.cols}x${s.rows}`;
  } catch {
    // not a size
  }
  return undefined;
}

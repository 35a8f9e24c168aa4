import { randomUUID } from "node:crypto";
import {
  type DecodedAgentMessage,
  jsonPayload,
  MessageType,
  type OpenDataChannelInput,
  PayloadType,
  type HandshakeCompletePayload,
  type HandshakeRequestPayload,
  type HandshakeResponsePayload,
  type ProcessedClientAction,
  SESSION_CLIENT_PROTOCOL_VERSION,
  type SessionTypeRequest,
  StreamChannel,
} from "@openssm/protocol";
import WebSocket from "ws";

export interface SessionTarget {
  sessionId: string;
  streamUrl: string;
  tokenValue: string;
}

export interface ClientChannelOptions extends SessionTarget {
  /** The CA certificates (PEM) to trust for the wss:// stream URL (default: the public roots). */
  ca?: string[];
  /** ResumeSession: a new token (and URL) after the socket dropped; no token: the session is gone. */
  resume(): Promise<{ tokenValue?: string; streamUrl?: string }>;
  /** The session type is known (from the handshake, or from the first output of a shell). */
  onSessionType(type: string, properties: Record<string, unknown>): void;
  /** Output of the session (PayloadType Output, StdErr, ExitCode, Flag); false: not ready yet. */
  onOutput(msg: DecodedAgentMessage): boolean;
  /** The service closed the session (channel_closed), with its message ("" for a normal end). */
  onClosed(output: string): void;
  /** The channel cannot be reopened. */
  onLost(reason: string): void;
  /** A handshake customer message to show. */
  onNotice?(text: string): void;
}

const SCHEMA = "1.0";
/** Reconnect attempts after the socket drops (about a minute: the server may be restarting). */
const MAX_RECONNECTS = 16;

/**
 * The client's side of a session's data channel, as the session-manager-plugin runs it: the websocket
 * to StreamUrl (first frame OpenDataChannelInput with the single-use token, no signature), the reliable
 * stream, the handshake, and ResumeSession when the socket drops.
 */
export class ClientChannel {
  readonly clientId = randomUUID();
  private ws?: WebSocket;
  private tokenValue: string;
  private streamUrl: string;
  private sessionType = "";
  /** The agent's version from the handshake ("" before one, or for a shell). */
  agentVersion = "";
  /** The session type the handshake asked for, announced once the handshake is complete. */
  private requested?: SessionTypeRequest;
  private stopped = false;
  readonly stream: StreamChannel;

  constructor(private readonly opts: ClientChannelOptions) {
    this.tokenValue = opts.tokenValue;
    this.streamUrl = opts.streamUrl;
    this.stream = new StreamChannel({
      role: "client",
      send: (frame) => this.send(frame),
      onData: (msg) => this.onData(msg),
      onOther: (msg) => {
        if (msg.messageType === MessageType.ChannelClosed) {
          let output = "";
          try {
            output = String(jsonPayload<{ Output?: string }>(msg).Output ?? "");
          } catch {
            output = "";
          }
          this.opts.onClosed(output);
        }
      },
    });
  }

  private send(frame: Buffer): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(frame, { binary: true });
    return true;
  }

  async open(): Promise<void> {
    const ws = new WebSocket(this.streamUrl, { ca: this.opts.ca, perMessageDeflate: false, handshakeTimeout: 20_000 });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`the data channel refused the connection (HTTP ${res.statusCode})`)));
    });
    const open: OpenDataChannelInput = {
      MessageSchemaVersion: SCHEMA,
      RequestId: randomUUID(),
      TokenValue: this.tokenValue,
      ClientId: this.clientId,
      ClientVersion: SESSION_CLIENT_PROTOCOL_VERSION,
    };
    ws.send(JSON.stringify(open));
    this.ws = ws;
    ws.on("message", (data, isBinary) => {
      if (isBinary) this.stream.receive(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
    });
    ws.on("error", () => {});
    ws.once("close", (code, reason) => {
      if (this.ws === ws) this.ws = undefined;
      if (!this.stopped) void this.reconnect(`closed with ${code} ${reason.toString()}`.trim());
    });
    this.stream.resendAll();
  }

  /** After a drop: ResumeSession for a new token, then the socket again (the stream resumes where it was). */
  private async reconnect(why: string): Promise<void> {
    let delay = 200;
    for (let attempt = 1; attempt <= MAX_RECONNECTS && !this.stopped; attempt++) {
      try {
        const r = await this.opts.resume();
        if (!r.tokenValue) {
          this.opts.onClosed("");
          return;
        }
        this.tokenValue = r.tokenValue;
        if (r.streamUrl) this.streamUrl = r.streamUrl;
        await this.open();
        return;
      } catch (e) {
        why = (e as Error).message;
        await new Promise((res) => setTimeout(res, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
    if (!this.stopped) this.opts.onLost(why);
  }

  private onData(msg: DecodedAgentMessage): boolean {
    switch (msg.payloadType) {
      case PayloadType.HandshakeRequest:
        this.onHandshakeRequest(msg);
        return true;
      case PayloadType.HandshakeComplete: {
        try {
          const c = JSON.parse(msg.payload.toString("utf8")) as HandshakeCompletePayload;
          if (c.CustomerMessage) this.opts.onNotice?.(c.CustomerMessage);
        } catch {
          // nothing to show
        }
        // As the plugin: the session starts (local listener, terminal) only when the handshake is
        // complete, since the agent drops stream data that arrives before.
        const requested = this.requested;
        this.requested = undefined;
        if (requested) this.opts.onSessionType(requested.SessionType, (requested.Properties ?? {}) as Record<string, unknown>);
        return true;
      }
      default:
        if (!this.sessionType && msg.payloadType === PayloadType.Output) {
          // A shell does no handshake: its first output says what the session is.
          this.sessionType = "Standard_Stream";
          this.opts.onSessionType(this.sessionType, {});
        }
        return this.opts.onOutput(msg);
    }
  }

  private onHandshakeRequest(msg: DecodedAgentMessage): void {
    let request: HandshakeRequestPayload;
    try {
      request = JSON.parse(msg.payload.toString("utf8")) as HandshakeRequestPayload;
    } catch {
      return;
    }
    this.agentVersion = String(request.AgentVersion ?? "");
    const processed: ProcessedClientAction[] = [];
    const errors: string[] = [];
    let type: SessionTypeRequest | undefined;
    for (const action of request.RequestedClientActions ?? []) {
      if (action.ActionType === "SessionType") {
        type = action.ActionParameters as SessionTypeRequest;
        processed.push({ ActionType: action.ActionType, ActionStatus: 1, Error: "" });
      } else {
        const error = `${action.ActionType} is not supported by the openssm client`;
        errors.push(error);
        processed.push({ ActionType: action.ActionType, ActionStatus: 3, ActionResult: null, Error: error });
      }
    }
    const response: HandshakeResponsePayload = { ClientVersion: SESSION_CLIENT_PROTOCOL_VERSION, ProcessedClientActions: processed, Errors: errors };
    this.stream.sendJson(PayloadType.HandshakeResponse, response);
    if (type) {
      this.sessionType = type.SessionType;
      this.requested = type;
    }
  }

  /** Closes the socket after what was sent is acknowledged (at most `ms`). */
  async close(ms = 1_000): Promise<void> {
    await this.stream.drained(ms);
    this.stopped = true;
    this.stream.close();
    this.ws?.close(1000);
    this.ws = undefined;
  }
}

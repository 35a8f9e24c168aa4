import {
  type DecodedAgentMessage,
  type HandshakeRequestPayload,
  type HandshakeResponsePayload,
  MessageType,
  type OpenDataChannelInput,
  PayloadType,
  type ProcessedClientAction,
  SESSION_CLIENT_PROTOCOL_VERSION,
  StreamChannel,
  jsonPayload,
} from "@openssm/protocol/browser";
import { Buffer } from "../shims/buffer";
import { randomUUID } from "../shims/node-crypto";

export interface BrowserChannelEvents {
  /** Bytes the session printed (stdout and stderr, as a terminal shows them). */
  onOutput(data: Uint8Array): void;
  /** The service closed the session (channel_closed), with its message ("" for a normal end). */
  onClosed(message: string): void;
  /** The socket closed or failed before the session ended, and could not be reopened. */
  onLost(reason: string): void;
  /** The socket dropped; ResumeSession and a new socket are under way. */
  onReconnecting?(reason: string): void;
  /** The socket is open again after a drop (the stream goes on where it was). */
  onReconnected?(): void;
  /** The shell is ready for input (first output, or the handshake completed). */
  onReady?(): void;
}

/** ResumeSession: a new single-use token (and stream URL); no token: the session is over. */
export type ResumeSession = () => Promise<{ tokenValue?: string; streamUrl?: string }>;

/** Reconnect attempts in a row without a frame received in between (backing off from 250 ms to 5 s: about 45 s). */
const MAX_RECONNECTS = 12;

/**
 * The client's end of a Session Manager data channel in a browser, as the session-manager-plugin runs
 * it: a WebSocket to the StreamUrl whose first (text) frame is OpenDataChannelInput with the
 * single-use token (a browser cannot add headers to a WebSocket, and the plugin does not either), then
 * AgentMessage frames through @openssm/protocol's reliable StreamChannel and handshake. When the socket
 * drops, ResumeSession gives a new token and the stream goes on over a new socket: its sequence numbers
 * continue, and what was not acknowledged is sent again.
 */
export class BrowserDataChannel {
  private ws?: WebSocket;
  private ready = false;
  private ended = false;
  /** Reconnect attempts since a frame was last received. */
  private failures = 0;
  private reconnecting = false;
  private readonly clientId = randomUUID();
  readonly stream: StreamChannel;

  constructor(
    private streamUrl: string,
    private token: string,
    private readonly events: BrowserChannelEvents,
    private readonly resume?: ResumeSession,
  ) {
    this.stream = new StreamChannel({
      role: "client",
      send: (frame) => {
        if (this.ws?.readyState !== WebSocket.OPEN) return false;
        this.ws.send(frame);
        return true;
      },
      onData: (msg) => this.onData(msg),
      onOther: (msg) => {
        if (msg.messageType !== MessageType.ChannelClosed) return;
        let output = "";
        try {
          output = String(jsonPayload<{ Output?: string }>(msg).Output ?? "");
        } catch {
          output = "";
        }
        this.closed();
        this.events.onClosed(output);
      },
    });
  }

  /** Opens the socket and sends OpenDataChannelInput; resolves once it is sent. */
  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(sameOrigin(this.streamUrl));
      ws.binaryType = "arraybuffer";
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.ws = ws;
        const open: OpenDataChannelInput = {
          MessageSchemaVersion: "1.0",
          RequestId: randomUUID(),
          TokenValue: this.token,
          ClientId: this.clientId,
          ClientVersion: SESSION_CLIENT_PROTOCOL_VERSION,
        };
        ws.send(JSON.stringify(open));
        // After a reconnect: what the other end has not acknowledged goes again, in order.
        this.stream.resendAll();
        resolve();
      };
      ws.onerror = () => {
        if (!opened) reject(new Error("the session's data channel could not be opened"));
      };
      ws.onmessage = (e) => {
        if (!(e.data instanceof ArrayBuffer)) return;
        this.failures = 0;
        this.stream.receive(asNodeBuffer(Buffer.from(e.data)));
      };
      ws.onclose = (e) => {
        if (this.ws === ws) this.ws = undefined;
        if (!opened) reject(new Error(`the session's data channel closed before it opened (${e.code})`));
        if (!opened || this.ended) return;
        const why = `the data channel closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`;
        if (this.resume) void this.reconnect(why);
        else this.lose(why);
      };
    });
  }

  /** After a drop: ResumeSession for a new token, then a new socket (the plugin's behaviour). */
  private async reconnect(why: string): Promise<void> {
    if (this.reconnecting || !this.resume) return;
    this.reconnecting = true;
    this.events.onReconnecting?.(why);
    let delay = 250;
    try {
      while (!this.ended) {
        if (++this.failures > MAX_RECONNECTS) {
          this.lose(why);
          return;
        }
        try {
          const r = await this.resume();
          if (this.ended) return;
          if (!r.tokenValue) {
            // ResumeSession answers no token for a session that ended meanwhile.
            this.ended = true;
            this.stream.close();
            this.events.onClosed("");
            return;
          }
          this.token = r.tokenValue;
          if (r.streamUrl) this.streamUrl = r.streamUrl;
          await this.open();
          this.events.onReconnected?.();
          return;
        } catch (e) {
          why = (e as Error).message || why;
          await new Promise((res) => setTimeout(res, delay));
          delay = Math.min(delay * 2, 5_000);
        }
      }
    } finally {
      this.reconnecting = false;
    }
  }

  private lose(why: string): void {
    this.ended = true;
    this.stream.close();
    this.events.onLost(why);
  }

  /** Keys typed in the terminal. */
  input(text: string): void {
    this.stream.sendData(PayloadType.Output, asNodeBuffer(Buffer.from(text, "utf8")));
  }

  resize(cols: number, rows: number): void {
    this.stream.sendJson(PayloadType.Size, { cols, rows });
  }

  close(): void {
    this.ended = true;
    this.stream.close();
    this.ws?.close(1000);
  }

  /** Ends the stream when the service closed the session. */
  private closed(): void {
    this.ended = true;
    this.stream.close();
  }

  private onData(msg: DecodedAgentMessage): boolean {
    switch (msg.payloadType) {
      case PayloadType.HandshakeRequest:
        this.answerHandshake(msg);
        return true;
      case PayloadType.HandshakeComplete:
        this.markReady();
        return true;
      case PayloadType.Output:
      case PayloadType.StdErr:
        this.markReady();
        this.events.onOutput(msg.payload);
        return true;
      default:
        return true;
    }
  }

  private markReady(): void {
    if (this.ready) return;
    this.ready = true;
    this.events.onReady?.();
  }

  private answerHandshake(msg: DecodedAgentMessage): void {
    let request: HandshakeRequestPayload;
    try {
      request = JSON.parse(msg.payload.toString("utf8")) as HandshakeRequestPayload;
    } catch {
      return;
    }
    const processed: ProcessedClientAction[] = [];
    const errors: string[] = [];
    for (const action of request.RequestedClientActions ?? []) {
      if (action.ActionType === "SessionType") processed.push({ ActionType: action.ActionType, ActionStatus: 1, Error: "" });
      else {
        const error = `${action.ActionType} is not supported by the openssm console`;
        errors.push(error);
        processed.push({ ActionType: action.ActionType, ActionStatus: 3, ActionResult: null, Error: error });
      }
    }
    const response: HandshakeResponsePayload = { ClientVersion: SESSION_CLIENT_PROTOCOL_VERSION, ProcessedClientActions: processed, Errors: errors };
    this.stream.sendJson(PayloadType.HandshakeResponse, response);
  }
}

/** The protocol's types name Node's Buffer; in the bundle its Buffer is the shim's (build.mjs). */
const asNodeBuffer = (b: Buffer) => b as unknown as globalThis.Buffer;

/**
 * The stream URL on this page's origin. The server hands out its TLS listener's wss:// URL when it has
 * one; the console's Content-Security-Policy allows only its own origin (connect-src 'self'), and every
 * listener serves the data channel, so the path and query are kept and the origin is the page's.
 */
export function sameOrigin(streamUrl: string): string {
  const u = new URL(streamUrl);
  const here = new URL(window.location.href);
  u.protocol = here.protocol === "https:" ? "wss:" : "ws:";
  u.host = here.host;
  return u.toString();
}

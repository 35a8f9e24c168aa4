import { randomUUID } from "node:crypto";
import { type OpenDataChannelInput, type AccessKeys, type RequestToSign, signHmac } from "@openssm/protocol";
import type { Logger } from "../log.js";
import type WebSocket from "ws";
import { AwsError } from "../aws/aws-error.js";
import type { HttpTransport } from "../aws/http-transport.js";

export interface AgentDataChannelOptions {
  /** https://host:port of the server's TLS listener */
  endpoint: string;
  sessionId: string;
  instanceId: string;
  region: string;
  transport: HttpTransport;
  credentials(): Promise<AccessKeys>;
  log: Logger;
  /** A binary frame arrived. */
  onFrame(frame: Buffer): void;
  /** The socket (re)opened: what was not acknowledged should be resent. */
  onOpen(): void;
  /** The server will not take the session any more (it ended). */
  onGone(reason: string): void;
}

const SCHEMA = "1.0";
/** amazon-ssm-agent's non-retryable CreateDataChannel error */
const TERMINATED = "Session is already terminated";
/** amazon-ssm-agent gives up after 5 attempts; a self-hosted server may be restarting, so keep trying for about a minute. */
const MAX_ATTEMPTS = 16;

function unxml(s: string): string {
  return s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
}

/**
 * The agent's side of a session's data channel: `POST /v1/data-channel/<session>` (SigV4,
 * ssmmessages) for a token, then the signed websocket whose first frame is OpenDataChannelInput with
 * ClientInstanceId. Reconnects (with a new token) when the socket drops while the session runs.
 */
export class AgentDataChannel {
  private ws?: WebSocket;
  private stopped = false;
  private readonly clientId = randomUUID();

  constructor(private readonly opts: AgentDataChannelOptions) {}

  private url(path: string): URL {
    const u = new URL(this.opts.endpoint);
    return new URL(`https://${u.host}${path}`);
  }

  private async token(keys: AccessKeys): Promise<string> {
    const url = this.url(`/v1/data-channel/${encodeURIComponent(this.opts.sessionId)}`);
    const body = JSON.stringify({ MessageSchemaVersion: SCHEMA, RequestId: randomUUID(), ClientId: this.clientId });
    const req: RequestToSign = { method: "POST", url, headers: { "content-type": "application/json" }, body };
    signHmac(req, { region: this.opts.region, service: "ssmmessages" }, keys);
    const res = await this.opts.transport.request("POST", url, req.headers, body, 15_000);
    const text = res.body.toString("utf8");
    if (res.status !== 201) {
      const code = /<(\w+)><Message>/.exec(text)?.[1] ?? `HTTP${res.status}`;
      throw new AwsError(code, text.includes(TERMINATED) ? TERMINATED : `CreateDataChannel answered ${res.status}: ${text.slice(0, 300)}`, res.status);
    }
    const token = /<TokenValue>([^<]*)<\/TokenValue>/.exec(text)?.[1];
    if (!token) throw new Error(`CreateDataChannel gave no TokenValue: ${text.slice(0, 200)}`);
    return unxml(token);
  }

  /** Opens the channel, retrying a few times; rejects when it cannot. */
  async open(): Promise<void> {
    let delay = 100;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.connectOnce();
        return;
      } catch (e) {
        if ((e as Error).message === TERMINATED || attempt >= MAX_ATTEMPTS || this.stopped) throw e;
        this.opts.log.debug({ err: e, sessionId: this.opts.sessionId, attempt }, "data channel attempt failed");
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  private async connectOnce(): Promise<void> {
    const keys = await this.opts.credentials();
    const token = await this.token(keys);
    const url = this.url(`/v1/data-channel/${encodeURIComponent(this.opts.sessionId)}?role=publish_subscribe`);
    const req: RequestToSign = { method: "GET", url, headers: {}, body: "" };
    signHmac(req, { region: this.opts.region, service: "ssmmessages" }, keys);
    const { host, ...headers } = req.headers;
    void host;
    // ws is loaded with the first session (an idle agent's control channel does not use it)
    const { default: WebSocketClass } = await import("ws");
    const ws = new WebSocketClass(url.toString().replace(/^https:/, "wss:"), {
      headers,
      // the transport's trusted CAs (the server's CA file; the public roots too once they were needed)
      secureContext: this.opts.transport.secureContext,
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
    } as WebSocket.ClientOptions);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) =>
        reject(new AwsError(`HTTP${res.statusCode}`, `data channel upgrade refused with ${res.statusCode}`, res.statusCode ?? 0)),
      );
    });
    const open: OpenDataChannelInput = {
      MessageSchemaVersion: SCHEMA,
      RequestId: randomUUID(),
      TokenValue: token,
      ClientInstanceId: this.opts.instanceId,
      ClientId: this.clientId,
    };
    ws.send(JSON.stringify(open));
    this.ws = ws;
    ws.on("message", (data, isBinary) => {
      if (isBinary) this.opts.onFrame(Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data));
    });
    ws.on("error", (err) => this.opts.log.debug({ err, sessionId: this.opts.sessionId }, "data channel error"));
    ws.once("close", (code, reason) => {
      if (this.ws === ws) this.ws = undefined;
      if (this.stopped) return;
      const why = reason.toString();
      this.opts.log.debug({ sessionId: this.opts.sessionId, code, why }, "data channel closed; reconnecting");
      this.open().then(
        () => this.opts.onOpen(),
        (e) => this.opts.onGone((e as Error).message),
      );
    });
  }

  send(frame: Buffer): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== ws.OPEN) return false;
    ws.send(frame, { binary: true });
    return true;
  }

  close(): void {
    this.stopped = true;
    this.ws?.close(1000, "session ended");
    this.ws = undefined;
  }
}

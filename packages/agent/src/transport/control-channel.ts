import { randomUUID } from "node:crypto";
import {
  type AgentJobAckPayload,
  type AgentJobPayload,
  type AgentJobReplyAckPayload,
  type AgentJobReplyPayload,
  type DecodedAgentMessage,
  decodeAgentMessage,
  encodeJsonMessage,
  isoMillis,
  jsonPayload,
  MessageType,
  type OpenControlChannelInput,
  type AccessKeys,
  type RequestToSign,
  signHmac,
} from "@openssm/protocol";
import type { Logger } from "../log.js";
import WebSocket from "ws";
import { AwsError, isAuthFailure } from "../aws/aws-error.js";
import { type HttpTransport, isUntrustedCertificate } from "../aws/http-transport.js";
import type { PendingReply, ReplyRoute } from "./reply-queue.js";
import { Backoff, pause } from "./backoff.js";

export interface ControlChannelOptions {
  /** https://host:port of the server's TLS listener (MGS always runs over TLS). */
  endpoint: string;
  instanceId: string;
  region: string;
  agentVersion: string;
  /** lower-case platform type, as amazon-ssm-agent sends it (linux, darwin → macos, windows) */
  platformType: string;
  transport: HttpTransport;
  credentials(): Promise<AccessKeys>;
  /** Called when the server refused the credentials (so they are fetched again). */
  credentialsRejected(): void;
  log: Logger;
  /** An agent_job arrived. */
  onJob(job: AgentJobPayload, message: DecodedAgentMessage): void;
  /** agent_job_reply_ack for a reply this agent sent. */
  onReplyAck(replyId: string): void;
  /** The channel came up or went down. */
  onState(up: boolean): void;
  /** Other control-channel messages (sessions: interactive_shell, channel_closed, ...); true when taken. */
  onOther?(msg: DecodedAgentMessage): boolean;
  /** Reconnect delays (ms). Default 1 s doubling to 5 minutes. */
  reconnect?: { initialMs: number; maxMs: number };
  /** Ping interval (AWS: 54 s) and how long to wait for a pong. */
  pingIntervalMs?: number;
}

const SCHEMA = "1.0";

/**
 * The MGS control channel (service ssmmessages): `POST /v1/control-channel/<id>` for a token,
 * then a SigV4-signed websocket whose first frame is OpenControlChannelInput and whose every
 * other frame is a binary AgentMessage. Reconnects with backoff for as long as it runs.
 */
export class ControlChannel implements ReplyRoute {
  readonly kind = "mgs" as const;
  private ws?: WebSocket;
  private up = false;
  private readonly stopper = new AbortController();
  private readonly backoff: Backoff;
  private loop?: Promise<void>;
  /** Why the last attempt failed (for logs and tests). */
  lastError?: string;

  constructor(private readonly opts: ControlChannelOptions) {
    this.backoff = new Backoff(opts.reconnect?.initialMs ?? 1_000, opts.reconnect?.maxMs ?? 300_000);
  }

  get connected(): boolean {
    return this.up;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    this.ws?.terminate();
    await this.loop;
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      try {
        await this.connectOnce();
        this.backoff.reset();
      } catch (e) {
        const message = (e as Error).message;
        const refused = isAuthFailure(e);
        if (refused) this.opts.credentialsRejected();
        // the server's CA file alone does not verify its certificate: the next attempt trusts the public roots too
        if (isUntrustedCertificate(e) && this.opts.transport.trustPublicRoots()) this.backoff.reset();
        // say it once per distinct reason; the retries repeat it
        if (message !== this.lastError) this.opts.log[refused ? "warn" : "info"]({ err: message }, "cannot open the control channel; retrying");
        this.lastError = message;
      }
      if (signal.aborted) break;
      await pause(this.backoff.next(), signal);
    }
  }

  private url(path: string): URL {
    const u = new URL(this.opts.endpoint);
    return new URL(`https://${u.host}${path}`);
  }

  private async createToken(keys: AccessKeys): Promise<string> {
    const url = this.url(`/v1/control-channel/${encodeURIComponent(this.opts.instanceId)}`);
    const body = JSON.stringify({ MessageSchemaVersion: SCHEMA, RequestId: randomUUID() });
    const req: RequestToSign = { method: "POST", url, headers: { "content-type": "application/json" }, body };
    signHmac(req, { region: this.opts.region, service: "ssmmessages" }, keys);
    const res = await this.opts.transport.request("POST", url, req.headers, body, 20_000);
    const text = res.body.toString("utf8");
    if (res.status !== 201 && res.status !== 200) {
      const code = /<(\w+Exception)>/.exec(text)?.[1] ?? String(res.headers["x-amzn-errortype"] ?? `HTTP${res.status}`);
      throw new AwsError(code, `CreateControlChannel answered ${res.status}: ${text.slice(0, 300)}`, res.status);
    }
    const token = /<TokenValue>([^<]*)<\/TokenValue>/.exec(text)?.[1] ?? (JSON.parse(text || "{}") as { TokenValue?: string }).TokenValue;
    if (!token) throw new Error(`CreateControlChannel gave no TokenValue: ${text.slice(0, 200)}`);
    return token
      .replace(/&amp;/g, "&")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'");
  }

  /** One connection: resolves when it closes (normally or not), rejects when it could not open. */
  private async connectOnce(): Promise<void> {
    const keys = await this.opts.credentials();
    const token = await this.createToken(keys);
    const url = this.url(`/v1/control-channel/${encodeURIComponent(this.opts.instanceId)}?role=subscribe&stream=input`);
    const req: RequestToSign = { method: "GET", url, headers: {}, body: "" };
    signHmac(req, { region: this.opts.region, service: "ssmmessages" }, keys);
    const { host, ...headers } = req.headers;
    void host;
    // ws hands its options to https.request, which takes the shared TLS context
    const options = { headers, secureContext: this.opts.transport.secureContext, perMessageDeflate: false, handshakeTimeout: 20_000 };
    const ws = new WebSocket(url.toString().replace(/^https:/, "wss:"), options as WebSocket.ClientOptions);
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => {
        const status = res.statusCode ?? 0;
        reject(
          new AwsError(status === 403 || status === 401 ? "AccessDeniedException" : `HTTP${status}`, `control channel upgrade refused with ${status}`, status),
        );
      });
    });
    const open: OpenControlChannelInput = {
      MessageSchemaVersion: SCHEMA,
      RequestId: randomUUID(),
      TokenValue: token,
      AgentVersion: this.opts.agentVersion,
      PlatformType: this.opts.platformType,
    };
    ws.send(JSON.stringify(open));
    this.up = true;
    this.lastError = undefined;
    this.opts.log.info({ endpoint: this.opts.endpoint }, "control channel connected");
    this.opts.onState(true);
    await new Promise<void>((resolve) => {
      let alive = true;
      const ping = setInterval(() => {
        if (!alive) {
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      }, this.opts.pingIntervalMs ?? 54_000);
      ping.unref();
      ws.on("pong", () => {
        alive = true;
      });
      ws.on("message", (data, isBinary) => {
        alive = true;
        if (isBinary) this.handle(data as Buffer);
      });
      ws.once("close", (code, reason) => {
        clearInterval(ping);
        this.lastError = `closed with ${code}${reason.length ? ` ${reason.toString()}` : ""}`;
        resolve();
      });
      ws.on("error", (e) => this.opts.log.debug({ err: e }, "control channel error"));
    });
    this.up = false;
    this.ws = undefined;
    if (!this.stopper.signal.aborted) this.opts.log.warn({ reason: this.lastError }, "control channel closed; reconnecting");
    this.opts.onState(false);
  }

  private handle(data: Buffer): void {
    let msg: DecodedAgentMessage;
    try {
      msg = decodeAgentMessage(data);
    } catch (e) {
      this.opts.log.warn({ err: e }, "unreadable frame on the control channel");
      return;
    }
    try {
      switch (msg.messageType) {
        case MessageType.AgentJob:
          this.opts.onJob(jsonPayload<AgentJobPayload>(msg), msg);
          break;
        case MessageType.AgentJobReplyAck:
          this.opts.onReplyAck(jsonPayload<AgentJobReplyAckPayload>(msg).acknowledgedMessageId);
          break;
        default:
          if (!this.opts.onOther?.(msg)) this.opts.log.debug({ type: msg.messageType }, "control channel message ignored");
      }
    } catch (e) {
      this.opts.log.warn({ err: e, type: msg.messageType }, "could not handle a control channel message");
    }
  }

  /** agent_job_ack for a job message. */
  ack(message: DecodedAgentMessage, jobId: string, statusCode: string, errorMessage = ""): void {
    const body: AgentJobAckPayload = { jobId, acknowledgedMessageId: message.messageId, createdDate: isoMillis(message.createdDate), statusCode, errorMessage };
    this.sendFrame(encodeJsonMessage(MessageType.AgentJobAck, body));
  }

  /** agent_job_reply; the reply queue re-sends it until agent_job_reply_ack names its id. */
  async send(r: PendingReply): Promise<void> {
    const body: AgentJobReplyPayload = { schemaVersion: 1, jobId: r.messageId, content: JSON.stringify(r.payload), topic: r.topic };
    this.sendFrame(encodeJsonMessage(MessageType.AgentJobReply, body, { messageId: r.replyId }));
  }

  /** Sends any AgentMessage frame; false when the channel is not connected. */
  sendRaw(frame: Buffer): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(frame, { binary: true });
    return true;
  }

  private sendFrame(frame: Buffer): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) throw new Error("the control channel is not connected");
    ws.send(frame, { binary: true });
  }
}

import {
  type AgentTaskPayload,
  type DecodedAgentMessage,
  encodeJsonMessage,
  MessageType,
  PayloadType,
  type AccessKeys,
  type HandshakeCompletePayload,
  type HandshakeRequestPayload,
  type HandshakeResponsePayload,
  SESSION_AGENT_PROTOCOL_VERSION,
  StreamChannel,
} from "@openssm/protocol";
import type { Logger } from "../log.js";
import type { HttpTransport } from "../aws/http-transport.js";
import { AgentDataChannel } from "./agent-data-channel.js";
import { CommandPlugin } from "./command-plugin.js";
import { deferred, type PluginContext, type PluginResult, type SessionPlugin } from "./plugin.js";
import { PortPlugin } from "./port-plugin.js";
import { platformCommands, ShellPlugin } from "./shell-plugin.js";

export interface SessionWorkerOptions {
  task: AgentTaskPayload;
  instanceId: string;
  region: string;
  /** https://host:port of the server's TLS listener */
  endpoint: string;
  transport: HttpTransport;
  credentials(): Promise<AccessKeys>;
  log: Logger;
}

const HANDSHAKE_TIMEOUT_MS = 15_000;
/** How long the agent waits, on the way out, for the client to acknowledge the last output. */
const DRAIN_MS = 2_000;

const bool = (v: unknown) => v === true || v === "true";

/**
 * One session on the node: opens the data channel, reports Connected, does the handshake when the
 * session type needs one (Port, InteractiveCommands, NonInteractiveCommands), runs the plugin, and on
 * the way out reports Terminating and closes the channel.
 */
export class SessionWorker {
  readonly sessionId: string;
  private readonly sessionType: string;
  private readonly content: Record<string, any>;
  private readonly log: Logger;
  private channel?: AgentDataChannel;
  private stream?: StreamChannel;
  private plugin?: SessionPlugin;
  private handshake?: { started: number; response: ReturnType<typeof deferred<HandshakeResponsePayload>>; complete: boolean };
  private cancelled = deferred<PluginResult>();
  private isCancelled = false;

  constructor(private readonly opts: SessionWorkerOptions) {
    this.sessionId = opts.task.SessionId;
    this.content = (opts.task.DocumentContent ?? {}) as Record<string, any>;
    this.sessionType = String(this.content.sessionType ?? "Standard_Stream");
    this.log = opts.log.child({ sessionId: this.sessionId, sessionType: this.sessionType });
  }

  private get needsHandshake(): boolean {
    return this.sessionType !== "Standard_Stream";
  }

  /** Runs the session to its end; never rejects. */
  async run(): Promise<PluginResult> {
    try {
      return await this.runSession();
    } catch (e) {
      this.log.warn({ err: e }, "session failed");
      return { status: "Failed", output: (e as Error).message };
    } finally {
      this.stream?.close();
      this.channel?.close();
    }
  }

  private async runSession(): Promise<PluginResult> {
    const stream = new StreamChannel({
      role: "agent",
      send: (frame) => this.channel?.send(frame) ?? false,
      onData: (msg) => this.onData(msg),
      onOther: (msg) => {
        if (msg.messageType === MessageType.ChannelClosed) this.cancel("the session was terminated");
      },
    });
    this.stream = stream;
    this.channel = new AgentDataChannel({
      endpoint: this.opts.endpoint,
      sessionId: this.sessionId,
      instanceId: this.opts.instanceId,
      region: this.opts.region,
      transport: this.opts.transport,
      credentials: this.opts.credentials,
      log: this.log,
      onFrame: (frame) => stream.receive(frame),
      onOpen: () => stream.resendAll(),
      onGone: (reason) => this.cancel(reason),
    });
    await this.channel.open();
    this.sendSessionState("Connected");
    this.log.info("session data channel open");

    const inputs = (this.content.inputs ?? {}) as Record<string, unknown>;
    const properties = (this.content.properties ?? {}) as Record<string, unknown>;
    let clientVersion = "";
    if (this.needsHandshake) {
      const response = await this.performHandshake(properties);
      if (!response) return { status: "Failed", output: "Handshake timed out. Please ensure that you have the latest version of the session manager plugin." };
      clientVersion = response.ClientVersion ?? "";
    }
    const ctx: PluginContext = {
      sessionId: this.sessionId,
      stream,
      log: this.log,
      properties,
      clientVersion,
      runAsEnabled: bool(inputs.runAsEnabled) || Boolean(this.opts.task.RunAsUser),
      runAsUser: this.opts.task.RunAsUser || String(inputs.runAsDefaultUser ?? ""),
      shellProfile: String(((inputs.shellProfile ?? {}) as { linux?: unknown }).linux ?? ""),
    };
    this.plugin = this.createPlugin(ctx);
    if (this.isCancelled) return this.cancelled.promise;
    await this.plugin.start();
    stream.pump();
    const result = await Promise.race([this.plugin.done, this.cancelled.promise]);
    this.plugin.stop();
    this.sendSessionState("Terminating");
    await stream.drained(DRAIN_MS);
    this.log.info({ status: result.status }, "session ended");
    return result;
  }

  private createPlugin(ctx: PluginContext): SessionPlugin {
    switch (this.sessionType) {
      case "Port":
        return new PortPlugin(ctx);
      case "NonInteractiveCommands":
        return new CommandPlugin(ctx);
      case "InteractiveCommands":
        return new ShellPlugin(ctx, platformCommands(ctx.properties) ?? "");
      default:
        return new ShellPlugin(ctx);
    }
  }

  private async performHandshake(properties: Record<string, unknown>): Promise<HandshakeResponsePayload | undefined> {
    const response = deferred<HandshakeResponsePayload>();
    this.handshake = { started: Date.now(), response, complete: false };
    const request: HandshakeRequestPayload = {
      AgentVersion: SESSION_AGENT_PROTOCOL_VERSION,
      RequestedClientActions: [{ ActionType: "SessionType", ActionParameters: { SessionType: this.sessionType, Properties: properties } }],
    };
    this.stream?.sendJson(PayloadType.HandshakeRequest, request);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((r) => {
      timer = setTimeout(() => r(undefined), HANDSHAKE_TIMEOUT_MS);
    });
    const got = await Promise.race([response.promise, timeout, this.cancelled.promise.then(() => undefined)]);
    clearTimeout(timer);
    if (!got) return undefined;
    const failed = (got.ProcessedClientActions ?? []).find((a) => a.ActionStatus !== 1);
    if (failed) {
      this.log.warn({ action: failed }, "the client refused a handshake action");
      return undefined;
    }
    const complete: HandshakeCompletePayload = { HandshakeTimeToComplete: (Date.now() - this.handshake.started) * 1_000_000, CustomerMessage: "" };
    this.stream?.sendJson(PayloadType.HandshakeComplete, complete);
    this.handshake.complete = true;
    return got;
  }

  private onData(msg: DecodedAgentMessage): boolean {
    if (msg.payloadType === PayloadType.HandshakeResponse) {
      try {
        this.handshake?.response.resolve(JSON.parse(msg.payload.toString("utf8")) as HandshakeResponsePayload);
      } catch {
        this.log.warn("unreadable HandshakeResponse");
      }
      return true;
    }
    // Stream data before the handshake completed is dropped, as amazon-ssm-agent does.
    if (this.needsHandshake && !this.handshake?.complete) return true;
    if (!this.plugin) return false;
    return this.plugin.input(msg);
  }

  private sendSessionState(state: "Connected" | "Terminating"): void {
    const body = { SchemaVersion: 1, SessionState: state, SessionId: this.sessionId };
    this.channel?.send(encodeJsonMessage(MessageType.AgentSessionState, body, { flags: 3 }));
  }

  /** Ends the session (channel_closed from the server, or the data channel is gone). */
  cancel(reason: string): void {
    if (this.isCancelled) return;
    this.isCancelled = true;
    this.log.info({ reason }, "session cancelled");
    this.cancelled.resolve({ status: "Cancelled", output: reason });
  }
}

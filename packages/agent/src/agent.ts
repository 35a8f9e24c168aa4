import { spawn } from "node:child_process";
import { join } from "node:path";
import type { AgentInfo, AgentJobPayload, DecodedAgentMessage, InstanceMessage } from "@openssm/protocol";
import { AGENT_JOB_ACK_SUCCESS } from "@openssm/protocol";
import type { Logger } from "./log.js";
import { isAuthFailure } from "./aws/aws-error.js";
import type { HttpTransport } from "./aws/http-transport.js";
import { JsonClient } from "./aws/json-client.js";
import { callSsm } from "./aws/ssm-api.js";
import { AssociationProcessor } from "./associations/processor.js";
import { CommandManager, type IncomingJob } from "./commands/command-manager.js";
import { FileCommandStore, MemoryCommandStore } from "./commands/command-store.js";
import type { RunnerEnv } from "./commands/document-runner.js";
import { RoleCredentials } from "./credentials/role-credentials.js";
import { instanceInformation } from "./health/instance-info.js";
import { type PlatformInfo, platformInfo } from "./health/platform-info.js";
import type { IdentityStore, NodeIdentity } from "./identity/identity-store.js";
import type { NodeKeyPair } from "./identity/key-pair.js";
import { SessionHost } from "./session/session-host.js";
import { ControlChannel } from "./transport/control-channel.js";
import { MessagePoller } from "./transport/message-poller.js";
import { FileReplyStore, MemoryReplyStore, ReplyQueue } from "./transport/reply-queue.js";
import { AGENT_NAME, AGENT_VERSION } from "./version.js";

export type TransportMode = "auto" | "mgs" | "poll";

export interface AgentOptions {
  identity: NodeIdentity;
  keys: NodeKeyPair;
  /** Where the identity lives (for key rotation); none in the simulator. */
  identityStore?: IdentityStore;
  /** Commands, replies and step output are kept here; none: in memory (the simulator). */
  dataDir?: string;
  /** auto: the control channel, polling while it is down; mgs: the control channel only; poll: ec2messages only. */
  transport: TransportMode;
  http: HttpTransport;
  log: Logger;
  /** UpdateInstanceInformation period (AWS: 5 minutes). */
  healthIntervalMs?: number;
  /** How often running output is streamed (ms). */
  outputIntervalMs?: number;
  /** Run trivial `echo` scripts without a shell (the simulator). */
  inlineExecution?: boolean;
  maxConcurrentCommands?: number;
  /** Most characters of a step's stdout (or stderr) sent to the server. */
  maxStreamChars?: number;
  /** Command that reboots the machine when a step exits 194 (3010 on Windows); none: steps are resumed at once. */
  rebootCommand?: string[];
  /** In auto mode, polling stops this long after the control channel came up (AWS: 1 minute). */
  pollGraceMs?: number;
  /** Control channel reconnect delays. */
  reconnect?: { initialMs: number; maxMs: number };
  /** Platform details to report (default: this machine's). */
  platform?: PlatformInfo;
  /** Orchestration root when there is no data dir. */
  orchestrationRoot?: string;
  /** Finished commands are remembered this long (never run twice). */
  retentionMs?: number;
  /** How often State Manager associations are listed without a nudge from the server (AWS: 10 minutes). */
  associationIntervalMs?: number;
  /** Custom inventory files (<dir>/*.json); default <data-dir>/inventory/custom. */
  customInventoryDir?: string;
}

/**
 * One managed node's agent: credentials, health reports, the channels that bring Run Command jobs,
 * the reply queue and the command manager. The `run` command runs one; the simulator runs many.
 */
export class Agent {
  readonly ssm: JsonClient;
  readonly credentials: RoleCredentials;
  readonly replies: ReplyQueue;
  readonly commands: CommandManager;
  /** State Manager on this node: applies the associations the server marks Pending. */
  readonly associations: AssociationProcessor;
  readonly channel?: ControlChannel;
  readonly poller?: MessagePoller;
  readonly sessions?: SessionHost;
  readonly platform: PlatformInfo;
  private healthTimer?: NodeJS.Timeout;
  private pruneTimer?: NodeJS.Timeout;
  private pollStopTimer?: NodeJS.Timeout;
  private reportedChannel?: string;
  private readonly controlHandlers: ((msg: DecodedAgentMessage) => boolean)[] = [];
  private readonly stopHooks: (() => Promise<void> | void)[] = [];
  private stopped = false;
  private readonly log: Logger;
  /** Set by the last UpdateInstanceInformation error (for `status`). */
  lastHealthError?: string;

  constructor(private readonly opts: AgentOptions) {
    const { identity } = opts;
    this.log = opts.log;
    this.platform = opts.platform ?? platformInfo(identity.name);
    this.ssm = new JsonClient(identity.endpoint, identity.region, opts.http);
    this.credentials = new RoleCredentials(this.ssm, identity, opts.keys, this.log, opts.identityStore);
    this.replies = new ReplyQueue(opts.dataDir ? new FileReplyStore(join(opts.dataDir, "replies")) : new MemoryReplyStore(), this.log);
    const agentInfo: AgentInfo = { lang: "en-US", name: AGENT_NAME, os: this.platform.PlatformName, osver: this.platform.PlatformVersion, ver: AGENT_VERSION };
    const store = opts.dataDir ? new FileCommandStore(join(opts.dataDir, "commands")) : new MemoryCommandStore();
    const orchestrationRoot = opts.dataDir
      ? join(opts.dataDir, "orchestration")
      : (opts.orchestrationRoot ?? join("/tmp", `openssm-agent-${identity.instanceId}`));
    const env: RunnerEnv = {
      instanceId: identity.instanceId,
      region: identity.region,
      orchestrationRoot,
      platformType: this.platform.PlatformType,
      agentInfo,
      replies: this.replies,
      store,
      ssm: (op, input) => this.callSsm(op, input),
      outputIntervalMs: opts.outputIntervalMs ?? 1_000,
      inlineExecution: opts.inlineExecution ?? false,
      maxStreamChars: opts.maxStreamChars ?? 4_000_000,
      reboot: (commandId) => this.reboot(commandId),
      ableToOpenMgs: () => (this.channel ? this.channel.connected : undefined),
      log: this.log,
      hooks: {
        refreshAssociations: () => this.associations.refresh(),
        inventoryDir: opts.dataDir ? join(opts.dataDir, "inventory") : undefined,
        customInventoryDir: opts.customInventoryDir ?? (opts.dataDir ? join(opts.dataDir, "inventory", "custom") : undefined),
      },
    };
    this.commands = new CommandManager(env, { maxConcurrent: opts.maxConcurrentCommands ?? 5, retentionMs: opts.retentionMs ?? 14 * 24 * 3_600_000 });
    this.associations = new AssociationProcessor({ env, dataDir: opts.dataDir, intervalMs: opts.associationIntervalMs ?? 600_000, log: this.log });
    const keys = () => this.credentials.get();
    const rejected = () => this.credentials.invalidate();
    if (opts.transport !== "poll" && identity.tlsEndpoint) {
      this.channel = new ControlChannel({
        endpoint: identity.tlsEndpoint,
        instanceId: identity.instanceId,
        region: identity.region,
        agentVersion: AGENT_VERSION,
        platformType: this.platform.PlatformType.toLowerCase(),
        transport: opts.http,
        credentials: keys,
        credentialsRejected: rejected,
        log: this.log,
        reconnect: opts.reconnect,
        onJob: (job, msg) => this.onControlJob(job, msg),
        onReplyAck: (id) => this.replies.acknowledge(id),
        onState: (up) => this.onChannelState(up),
        onOther: (msg) => (this.sessions?.handleControlMessage(msg) ?? false) || this.controlHandlers.some((h) => h(msg)),
      });
      this.sessions = new SessionHost({
        instanceId: identity.instanceId,
        region: identity.region,
        endpoint: identity.tlsEndpoint,
        transport: opts.http,
        credentials: keys,
        sendControl: (frame) => this.channel?.sendRaw(frame) ?? false,
        log: this.log,
      });
    }
    if (opts.transport !== "mgs") {
      this.poller = new MessagePoller({
        client: new JsonClient(identity.endpoint, identity.region, opts.http),
        instanceId: identity.instanceId,
        credentials: keys,
        credentialsRejected: rejected,
        log: this.log,
        onMessage: (m) => this.onPolledMessage(m),
        onRecovered: () => this.replies.retryNow(),
      });
    }
  }

  /**
   * For capabilities beyond Run Command (sessions): takes control-channel messages of other types
   * (return true when handled).
   */
  addControlHandler(handler: (msg: DecodedAgentMessage) => boolean): void {
    this.controlHandlers.push(handler);
  }

  /** Sends an AgentMessage frame on the control channel; false when it is down. */
  sendControl(frame: Buffer): boolean {
    return this.channel?.sendRaw(frame) ?? false;
  }

  /** Runs when the agent stops. */
  onStop(hook: () => Promise<void> | void): void {
    this.stopHooks.push(hook);
  }

  get options(): Readonly<AgentOptions> {
    return this.opts;
  }

  get instanceId(): string {
    return this.opts.identity.instanceId;
  }

  /** Which channel jobs come over right now. */
  get connectionChannel(): "ssmmessages" | "ec2messages" {
    return this.channel?.connected ? "ssmmessages" : "ec2messages";
  }

  async callSsm<T>(operation: string, input: unknown): Promise<T> {
    const keys = await this.credentials.get();
    try {
      return await callSsm<T>(this.ssm, operation, input, { kind: "keys", keys });
    } catch (e) {
      if (isAuthFailure(e)) this.credentials.invalidate();
      throw e;
    }
  }

  async start(): Promise<void> {
    const resumed = this.commands.resume();
    if (resumed) this.log.info({ commands: resumed }, "resuming commands interrupted by a restart");
    this.commands.prune();
    this.pruneTimer = setInterval(() => this.commands.prune(), 6 * 3_600_000);
    this.pruneTimer.unref();
    this.replies.setRoutes({ poll: this.opts.transport === "mgs" ? undefined : this.poller });
    this.channel?.start();
    if (this.poller && (!this.channel || this.opts.transport === "poll")) this.poller.start();
    else if (this.poller && this.channel && !this.channel.connected) this.poller.start();
    void this.reportHealth();
    this.associations.start();
    this.healthTimer = setInterval(() => void this.reportHealth(), this.opts.healthIntervalMs ?? 300_000);
    this.healthTimer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.healthTimer);
    clearInterval(this.pruneTimer);
    clearTimeout(this.pollStopTimer);
    this.commands.stop();
    this.associations.stop();
    this.replies.stop();
    this.credentials.stop();
    await this.sessions?.stop();
    await Promise.all([this.channel?.stop(), this.poller?.stop()]);
  }

  /** UpdateInstanceInformation: keeps the node Online with its platform details. */
  async reportHealth(): Promise<void> {
    if (this.stopped) return;
    const channel = this.connectionChannel;
    try {
      await this.callSsm("UpdateInstanceInformation", instanceInformation(this.instanceId, this.platform, channel));
      this.reportedChannel = channel;
      this.lastHealthError = undefined;
    } catch (e) {
      this.lastHealthError = (e as Error).message;
      this.log.warn({ err: e }, "UpdateInstanceInformation failed");
    }
  }

  private onChannelState(up: boolean): void {
    if (this.stopped) return;
    this.replies.setRoutes({ mgs: up ? this.channel : undefined });
    if (up) this.sessions?.resendCompletes();
    clearTimeout(this.pollStopTimer);
    if (this.poller) {
      if (up) {
        const grace = this.opts.pollGraceMs ?? 60_000;
        this.pollStopTimer = setTimeout(() => {
          if (this.channel?.connected) void this.poller?.stop();
        }, grace);
        this.pollStopTimer.unref();
      } else this.poller.start();
    }
    if (this.reportedChannel !== this.connectionChannel) void this.reportHealth();
  }

  private onControlJob(job: AgentJobPayload, msg: DecodedAgentMessage): void {
    const channel = this.channel as ControlChannel;
    const incoming: IncomingJob = { messageId: job.JobId, topic: job.Topic, content: job.Content };
    const verdict = this.commands.receive(incoming);
    try {
      if (verdict.kind === "accepted") {
        channel.ack(msg, job.JobId, AGENT_JOB_ACK_SUCCESS);
        this.commands.accepted(verdict);
      } else if (verdict.kind === "duplicate") {
        channel.ack(msg, job.JobId, "51405", "DuplicateCommand");
      } else {
        this.log.warn({ jobId: job.JobId, error: verdict.error }, "refusing a job");
        channel.ack(msg, job.JobId, "51408", "AgentJobMessageParseError");
        this.commands.rejected(job.JobId, verdict.commandId, verdict.error);
      }
    } catch (e) {
      // the job is saved; the server re-sends it when the ack was lost
      this.log.warn({ err: e, jobId: job.JobId }, "could not acknowledge a job");
      if (verdict.kind === "accepted") this.commands.accepted(verdict);
    }
  }

  private async onPolledMessage(m: InstanceMessage): Promise<void> {
    const poller = this.poller as MessagePoller;
    if (!m.MessageId || !m.Topic || m.Payload === undefined) {
      if (m.MessageId) await poller.fail(m.MessageId, "InternalHandlerException");
      return;
    }
    const verdict = this.commands.receive({ messageId: m.MessageId, topic: m.Topic, content: m.Payload });
    if (verdict.kind === "invalid") {
      this.log.warn({ messageId: m.MessageId, error: verdict.error }, "refusing a message");
      await poller.fail(m.MessageId, "InternalHandlerException");
      this.commands.rejected(m.MessageId, verdict.commandId, verdict.error);
      return;
    }
    if (verdict.kind === "accepted") this.commands.accepted(verdict);
    await poller.acknowledge(m.MessageId);
  }

  private async reboot(commandId: string): Promise<boolean> {
    const cmd = this.opts.rebootCommand;
    if (!cmd?.length) return false;
    this.log.warn({ commandId, command: cmd.join(" ") }, "a step asked for a reboot: rebooting the machine");
    return new Promise((resolve) => {
      const child = spawn(cmd[0], cmd.slice(1), { stdio: "ignore", detached: true });
      child.once("error", (e) => {
        this.log.error({ err: e }, "the reboot command could not start; resuming the command now");
        resolve(false);
      });
      child.once("spawn", () => {
        child.unref();
        resolve(true);
      });
    });
  }
}

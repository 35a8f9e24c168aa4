import { randomUUID } from "node:crypto";
import {
  type AgentTaskAcknowledgePayload,
  type AgentTaskCompletePayload,
  type AgentTaskPayload,
  type ChannelClosedPayload,
  type DecodedAgentMessage,
  encodeJsonMessage,
  jsonPayload,
  type MGSPayload,
  MessageType,
  type AccessKeys,
} from "@openssm/protocol";
import type { Logger } from "../log.js";
import type { HttpTransport } from "../aws/http-transport.js";
import type { PluginResult } from "./plugin.js";
import { SessionWorker } from "./session-worker.js";

export interface SessionHostOptions {
  instanceId: string;
  region: string;
  /** https://host:port of the server's TLS listener (the MGS endpoint) */
  endpoint: string;
  transport: HttpTransport;
  credentials(): Promise<AccessKeys>;
  /** Sends a frame on the control channel; false when it is down (the frame is sent again later). */
  sendControl(frame: Buffer): boolean;
  log: Logger;
  /** Most sessions at once (amazon-ssm-agent: SessionWorkersLimit 1000). */
  maxSessions?: number;
}

/** The topic of agent_task_complete, as amazon-ssm-agent sends it. */
const COMPLETE_TOPIC = MessageType.AgentTaskComplete;
const RESEND_COMPLETE_MS = 10_000;

interface PendingComplete {
  messageId: string;
  frame: Buffer;
  sentAt: number;
}

/**
 * The agent's Session Manager side: takes interactive_shell and channel_closed from the control
 * channel, runs a SessionWorker per session, and reports each end with agent_task_complete,
 * re-sent until the server answers agent_task_acknowledge.
 */
export class SessionHost {
  private workers = new Map<string, SessionWorker>();
  private pending = new Map<string, PendingComplete>();
  private timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly opts: SessionHostOptions) {
    this.timer = setInterval(() => this.resendCompletes(), RESEND_COMPLETE_MS);
    this.timer.unref();
  }

  /** Sessions running now. */
  get active(): string[] {
    return [...this.workers.keys()];
  }

  /** Handles a control-channel message; false when it is not a session's. */
  handleControlMessage(msg: DecodedAgentMessage): boolean {
    switch (msg.messageType) {
      case MessageType.InteractiveShell:
        this.startSession(msg);
        return true;
      case MessageType.ChannelClosed: {
        const closed = jsonPayload<ChannelClosedPayload>(msg);
        this.workers.get(closed.SessionId)?.cancel("the session was terminated");
        return true;
      }
      case MessageType.AgentTaskAcknowledge: {
        const ack = jsonPayload<AgentTaskAcknowledgePayload>(msg);
        for (const [id, p] of this.pending) if (p.messageId === ack.MessageId || id === ack.TaskId) this.pending.delete(id);
        return true;
      }
      default:
        return false;
    }
  }

  private startSession(msg: DecodedAgentMessage): void {
    if (this.stopped) return;
    let task: AgentTaskPayload;
    try {
      const envelope = jsonPayload<MGSPayload>(msg);
      task = JSON.parse(envelope.Content) as AgentTaskPayload;
    } catch (e) {
      this.opts.log.warn({ err: e }, "unreadable interactive_shell message");
      return;
    }
    if (!task.SessionId || this.workers.has(task.SessionId) || this.pending.has(task.SessionId)) return;
    if (this.workers.size >= (this.opts.maxSessions ?? 1000)) {
      this.complete(task.SessionId, { status: "Failed", output: "The node runs as many sessions as it allows." });
      return;
    }
    const worker = new SessionWorker({
      task,
      instanceId: this.opts.instanceId,
      region: this.opts.region,
      endpoint: this.opts.endpoint,
      transport: this.opts.transport,
      credentials: this.opts.credentials,
      log: this.opts.log,
    });
    this.workers.set(task.SessionId, worker);
    this.opts.log.info({ sessionId: task.SessionId, document: task.DocumentName, owner: task.SessionOwner }, "session starting");
    void worker.run().then((result) => {
      this.workers.delete(task.SessionId);
      this.complete(task.SessionId, result);
    });
  }

  private complete(sessionId: string, result: PluginResult): void {
    const messageId = randomUUID();
    const body: AgentTaskCompletePayload = {
      SchemaVersion: 1,
      TaskId: sessionId,
      Topic: COMPLETE_TOPIC,
      FinalTaskStatus: result.status,
      IsRoutingFailure: false,
      AwsAccountId: "",
      InstanceId: this.opts.instanceId,
      Output: result.output,
      S3Bucket: "",
      S3UrlSuffix: "",
      CwlGroup: "",
      CwlStream: "",
      RetryNumber: 0,
    };
    const frame = encodeJsonMessage(MessageType.AgentTaskComplete, body, { messageId });
    this.pending.set(sessionId, { messageId, frame, sentAt: Date.now() });
    this.opts.sendControl(frame);
  }

  /** Sends again the completions the server has not acknowledged (also when the control channel comes back). */
  resendCompletes(): void {
    const now = Date.now();
    for (const p of this.pending.values()) {
      if (now - p.sentAt < RESEND_COMPLETE_MS / 2) continue;
      p.sentAt = now;
      this.opts.sendControl(p.frame);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const w of this.workers.values()) w.cancel("the agent is stopping");
  }
}

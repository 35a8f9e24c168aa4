import {
  AGENT_JOB_ACK_SUCCESS,
  type AgentJobAckPayload,
  type AgentJobPayload,
  type AgentJobReplyPayload,
  type AgentJobReplyAckPayload,
  type DecodedAgentMessage,
  decodeAgentMessage,
  encodeJsonMessage,
  jsonPayload,
  MessageType,
  type OpenControlChannelInput,
} from "@openssm/protocol";
import type { WebSocket } from "ws";
import type { RequestContext, Services } from "../../runtime.js";
import { controlFrameHandler, handlersFor } from "../delivery-handlers.js";
import { type ControlChannelHandle, deliveryHub } from "../hub.js";
import { claimMessage, deliverableMessages, finishMessage, getMessage, type MessageRow } from "../queue.js";
import { nodeDirectory } from "../node-identity.js";
import { isFinalDocumentStatus, parseReplyPayload, takeAcknowledgement, takeFailure, takeReply, takeTransientRefusal } from "../replies.js";
import { controlMessageHandler } from "./control-messages.js";
import { checkChannelToken } from "./tokens.js";

/** A pushed agent_job not acknowledged within this time is pushed again. */
const JOB_VISIBILITY_MS = 30_000;
/** The agent must send OpenControlChannelInput this soon after the upgrade. */
const OPEN_TIMEOUT_MS = 30_000;
/** The agent pings every 54 s; a channel silent for this long is dead. */
const IDLE_TIMEOUT_MS = 3 * 60_000;
/** agent_job_ack codes: the agent already has the job (DuplicateCommand); it is busy or closing. */
const ACK_DUPLICATE = "51405";
const ACK_TRANSIENT = new Set(["51401", "51402"]);

/**
 * One node's MGS control channel on this replica: checks OpenControlChannelInput against the token,
 * then pushes the node's queued jobs as agent_job and takes agent_job_ack / agent_job_reply (answered
 * with agent_job_reply_ack). Frames are handled one at a time, in order.
 */
export class ControlChannelConnection implements ControlChannelHandle {
  readonly accountId: string;
  readonly region: string;
  private state: "opening" | "open" | "closed" = "opening";
  private queue: Promise<void> = Promise.resolve();
  private pumping = false;
  private pumpAgain = false;
  private lastHeard = Date.now();
  private timers: NodeJS.Timeout[] = [];
  /**
   * The jobs this channel pushed and has not seen finish, as last known here: their acks and replies
   * need no read of the queue. Only a hint: every change of a message's state is a compare-and-set.
   */
  private pushed = new Map<string, MessageRow>();

  constructor(
    private services: Services,
    ctx: RequestContext,
    private ws: WebSocket,
    readonly instanceId: string,
  ) {
    this.accountId = ctx.accountId;
    this.region = ctx.region;
  }

  start(): void {
    if (!deliveryHub(this.services).accept(this)) return;
    this.timers.push(
      setTimeout(() => {
        if (this.state === "opening") this.close("no OpenControlChannelInput within 30 seconds");
      }, OPEN_TIMEOUT_MS),
    );
    const idle = setInterval(() => {
      if (Date.now() - this.lastHeard > IDLE_TIMEOUT_MS) this.close("no ping or message for 3 minutes");
    }, 30_000);
    idle.unref();
    this.timers.push(idle);
    this.ws.on("message", (data, isBinary) => {
      this.lastHeard = Date.now();
      const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      this.queue = this.queue
        .then(() => this.onFrame(frame, isBinary))
        .catch((err) => this.services.log.error({ err, instanceId: this.instanceId }, "control channel frame failed"));
    });
    this.ws.on("ping", () => {
      this.lastHeard = Date.now();
      void this.heard();
    });
    this.ws.on("close", () => this.closed());
    this.ws.on("error", (err) => {
      this.services.log.debug({ err, instanceId: this.instanceId }, "control channel error");
      this.closed();
    });
  }

  send(frame: Buffer): boolean {
    if (this.state !== "open" || this.ws.readyState !== this.ws.OPEN) return false;
    this.ws.send(frame, { binary: true });
    return true;
  }

  close(reason: string): void {
    if (this.state === "closed") return;
    this.services.log.info({ instanceId: this.instanceId, reason }, "closing control channel");
    try {
      this.ws.close(1008, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
    }
    this.closed();
  }

  pump(): void {
    if (this.state !== "open") return;
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.runPump().finally(() => {
      this.pumping = false;
    });
  }

  private closed(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.pushed.clear();
    for (const t of this.timers) clearTimeout(t);
    deliveryHub(this.services).detach(this);
  }

  private async heard(): Promise<void> {
    try {
      const scope = { accountId: this.accountId, region: this.region };
      await nodeDirectory(this.services).heardFrom(scope, this.instanceId, this.services.clock.now(), "ssmmessages");
    } catch (err) {
      this.services.log.warn({ err, instanceId: this.instanceId }, "recording contact with a node failed");
    }
  }

  private async runPump(): Promise<void> {
    const db = this.services.db;
    try {
      do {
        this.pumpAgain = false;
        const now = this.services.clock.now();
        for (const row of await deliverableMessages(db, this.instanceId, now, 20)) {
          if (this.state !== "open") return;
          if (!(await claimMessage(db, row, now, JOB_VISIBILITY_MS, "ssmmessages"))) continue;
          const own = controlFrameHandler(this.services, row.topic);
          if (own?.controlFrame) {
            this.send(own.controlFrame(this.services, row));
            await finishMessage(db, row.message_id, now);
            continue;
          }
          const job: AgentJobPayload = { Content: row.payload, JobId: row.message_id, Topic: row.topic, SchemaVersion: 1 };
          this.send(encodeJsonMessage(MessageType.AgentJob, job, { createdDate: Date.now() }));
          const message = { ...row, deliveries: row.deliveries + 1 };
          this.pushed.set(row.message_id, message);
          for (const h of handlersFor(this.services, row.topic)) await h.delivered?.(this.services, { message, channel: "ssmmessages", now });
        }
      } while (this.pumpAgain && this.state === "open");
    } catch (err) {
      this.services.log.error({ err, instanceId: this.instanceId }, "pushing jobs over the control channel failed");
    }
  }

  private async onFrame(frame: Buffer, isBinary: boolean): Promise<void> {
    if (this.state === "closed") return;
    if (this.state === "opening") return this.onOpen(frame, isBinary);
    if (!isBinary) {
      this.services.log.debug({ instanceId: this.instanceId }, "ignoring a text frame on an open control channel");
      return;
    }
    let msg: DecodedAgentMessage;
    try {
      msg = decodeAgentMessage(frame);
    } catch (err) {
      this.services.log.warn({ err: (err as Error).message, instanceId: this.instanceId }, "ignoring a frame that is not an AgentMessage");
      return;
    }
    void this.heard();
    switch (msg.messageType) {
      case MessageType.AgentJobAck:
        return this.onJobAck(msg);
      case MessageType.AgentJobReply:
        return this.onJobReply(msg);
      case MessageType.AgentTelemetry:
        return;
      default: {
        const handler = controlMessageHandler(this.services, msg.messageType);
        if (handler) return handler(this.services, this, msg);
        this.services.log.debug({ instanceId: this.instanceId, messageType: msg.messageType }, "ignoring a control channel message");
      }
    }
  }

  private async onOpen(frame: Buffer, isBinary: boolean): Promise<void> {
    let input: Partial<OpenControlChannelInput>;
    try {
      if (isBinary) throw new Error("binary");
      input = JSON.parse(frame.toString("utf8")) as Partial<OpenControlChannelInput>;
    } catch {
      return this.close("the first frame must be the OpenControlChannelInput JSON");
    }
    if (typeof input.TokenValue !== "string") return this.close("OpenControlChannelInput has no TokenValue");
    const claims = checkChannelToken(this.services.masterKey, input.TokenValue, this.instanceId, this.services.clock.now());
    if (typeof claims === "string") return this.close(claims);
    if (claims.accountId !== this.accountId) return this.close("the token belongs to another account");
    this.state = "open";
    deliveryHub(this.services).attach(this);
    this.services.log.info({ instanceId: this.instanceId, agentVersion: input.AgentVersion, platform: input.PlatformType }, "control channel open");
    await this.heard();
    this.pump();
  }

  private async onJobAck(msg: DecodedAgentMessage): Promise<void> {
    const ack = jsonPayload<Partial<AgentJobAckPayload>>(msg);
    if (typeof ack.jobId !== "string") return;
    const message = await this.message(ack.jobId);
    if (!message) return;
    const now = this.services.clock.now();
    const code = String(ack.statusCode ?? "");
    if (code === AGENT_JOB_ACK_SUCCESS || code === ACK_DUPLICATE) {
      await takeAcknowledgement(this.services, message, "ssmmessages", now);
      if (message.state === "queued") this.pushed.set(message.message_id, { ...message, state: "acknowledged", acknowledged_at: now });
      return;
    }
    this.pushed.delete(message.message_id);
    if (ACK_TRANSIENT.has(code)) await takeTransientRefusal(this.services, message, now);
    else await takeFailure(this.services, message, `the agent refused the job: ${ack.errorMessage || "no reason given"} (${code})`, "ssmmessages", now);
  }

  /** A message of this node: as this channel pushed it, or read from the queue. */
  private async message(messageId: string): Promise<MessageRow | undefined> {
    const known = this.pushed.get(messageId);
    if (known) return known;
    const row = await getMessage(this.services.db, messageId);
    return row && row.instance_id === this.instanceId ? row : undefined;
  }

  private async onJobReply(msg: DecodedAgentMessage): Promise<void> {
    const reply = jsonPayload<Partial<AgentJobReplyPayload>>(msg);
    if (typeof reply.jobId !== "string") return;
    const message = await this.message(reply.jobId);
    if (message) {
      let payload: ReturnType<typeof parseReplyPayload> | undefined;
      try {
        payload = parseReplyPayload(String(reply.content ?? ""));
      } catch (err) {
        this.services.log.warn({ instanceId: this.instanceId, jobId: reply.jobId, err: (err as Error).message }, "dropping a malformed agent_job_reply");
      }
      if (payload) {
        const now = this.services.clock.now();
        await takeReply(this.services, { message, replyId: msg.messageId, payload, channel: "ssmmessages", now });
        if (isFinalDocumentStatus(payload.documentStatus)) this.pushed.delete(message.message_id);
        else if (message.state === "queued") this.pushed.set(message.message_id, { ...message, state: "acknowledged", acknowledged_at: now });
      }
    }
    // The agent forgets a reply once acknowledged: acknowledge only what is on disk.
    await this.services.durable();
    const ack: AgentJobReplyAckPayload = { jobId: reply.jobId, acknowledgedMessageId: msg.messageId };
    this.send(encodeJsonMessage(MessageType.AgentJobReplyAck, ack));
  }
}

import { randomUUID } from "node:crypto";
import type { FailureType, GetMessagesOutput, InstanceMessage, AccessKeys } from "@openssm/protocol";
import type { Logger } from "../log.js";
import { AwsError, isAuthFailure } from "../aws/aws-error.js";
import type { JsonClient } from "../aws/json-client.js";
import { callEc2Messages } from "../aws/ssm-api.js";
import { Backoff, pause } from "./backoff.js";
import type { PendingReply, ReplyRoute } from "./reply-queue.js";

export interface PollerOptions {
  client: JsonClient;
  instanceId: string;
  credentials(): Promise<AccessKeys>;
  credentialsRejected(): void;
  log: Logger;
  onMessage(message: InstanceMessage): Promise<void>;
  /** The server answers again after failures (replies waiting to be sent can go now). */
  onRecovered?(): void;
  /** Client timeout of one long poll (AWS: 20 s; the server holds it 12–15 s). */
  pollTimeoutMs?: number;
  /** Pause after a quick empty answer (AWS: 2–2.5 s). */
  emptyPauseMs?: number;
}

/**
 * The ec2messages polling path: GetMessages as a long poll, each message handed over and then
 * acknowledged (AcknowledgeMessage) or refused (FailMessage); replies go out with SendReply.
 */
export class MessagePoller implements ReplyRoute {
  readonly kind = "poll" as const;
  private stopper = new AbortController();
  private loop?: Promise<void>;
  private readonly backoff = new Backoff(2_000, 60_000);
  /** Whether the last GetMessages succeeded. */
  healthy = false;
  /** When the GetMessages in flight was sent (the server holds it while there is nothing to deliver). */
  private pollSentAt?: number;
  lastError?: string;

  constructor(private readonly opts: PollerOptions) {}

  /** A poll is held by the server now (it would have refused a bad one at once), or the last one succeeded. */
  get listening(): boolean {
    return this.healthy || (this.pollSentAt !== undefined && Date.now() - this.pollSentAt > 500);
  }

  get running(): boolean {
    return this.loop !== undefined;
  }

  start(): void {
    if (this.loop) return;
    this.stopper = new AbortController();
    this.loop = this.run().finally(() => {
      this.loop = undefined;
    });
  }

  /** Stops after the poll in flight (its messages are still handled). */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private async call<T>(op: string, input: unknown, timeoutMs?: number): Promise<T> {
    const keys = await this.opts.credentials();
    try {
      return await callEc2Messages<T>(this.opts.client, op, input, { kind: "keys", keys }, timeoutMs);
    } catch (e) {
      if (isAuthFailure(e)) this.opts.credentialsRejected();
      throw e;
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      const started = Date.now();
      this.pollSentAt = started;
      let out: GetMessagesOutput;
      try {
        out = await this.call<GetMessagesOutput>(
          "GetMessages",
          { Destination: this.opts.instanceId, MessagesRequestId: randomUUID(), VisibilityTimeoutInSeconds: 10 },
          this.opts.pollTimeoutMs ?? 20_000,
        );
        if (this.lastError !== undefined) this.opts.onRecovered?.();
        this.healthy = true;
        this.lastError = undefined;
        this.backoff.reset();
      } catch (e) {
        this.healthy = false;
        this.pollSentAt = undefined;
        const message = (e as Error).message;
        // say it once per distinct reason; the retries repeat it
        if (message !== this.lastError) this.opts.log[e instanceof AwsError ? "warn" : "info"]({ err: message }, "GetMessages failed; retrying");
        this.lastError = message;
        await pause(this.backoff.next(), signal);
        continue;
      }
      const messages = out.Messages ?? [];
      for (const m of messages) {
        try {
          await this.opts.onMessage(m);
        } catch (e) {
          this.opts.log.warn({ err: e, messageId: m.MessageId }, "handling a message failed");
        }
      }
      if (messages.length === 0 && Date.now() - started < 1_000) await pause(this.opts.emptyPauseMs ?? 2_000 + Math.random() * 500, signal);
    }
  }

  acknowledge(messageId: string): Promise<unknown> {
    return this.call("AcknowledgeMessage", { MessageId: messageId });
  }

  fail(messageId: string, failureType: FailureType): Promise<unknown> {
    return this.call("FailMessage", { MessageId: messageId, FailureType: failureType });
  }

  async send(r: PendingReply): Promise<void> {
    await this.call("SendReply", { MessageId: r.messageId, ReplyId: r.replyId, Payload: JSON.stringify(r.payload) });
  }
}

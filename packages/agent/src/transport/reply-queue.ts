import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { SendReplyPayload } from "@openssm/protocol";
import type { Logger } from "../log.js";
import { ensureDir, writeFileAtomic } from "../identity/identity-store.js";

/** A reply waiting for the server to take it. */
export interface PendingReply {
  /** UUID: the agent_job_reply's MessageId, or SendReply's ReplyId. The same on every retry. */
  replyId: string;
  /** The job: aws.ssm.<commandId>.<instanceId> */
  messageId: string;
  topic: string;
  payload: SendReplyPayload;
  seq: number;
  createdAt: number;
}

export interface ReplyStore {
  load(): PendingReply[];
  add(r: PendingReply): void;
  remove(r: PendingReply): void;
}

export class MemoryReplyStore implements ReplyStore {
  load(): PendingReply[] {
    return [];
  }
  add(): void {}
  remove(): void {}
}

/** <data-dir>/replies/<seq>-<replyId>.json; a reply is written before it is sent and removed once taken. */
export class FileReplyStore implements ReplyStore {
  constructor(readonly dir: string) {
    ensureDir(dir);
  }

  private path(r: PendingReply): string {
    return join(this.dir, `${String(r.seq).padStart(12, "0")}-${r.replyId}.json`);
  }

  load(): PendingReply[] {
    const out: PendingReply[] = [];
    for (const f of readdirSync(this.dir).sort()) {
      if (!f.endsWith(".json")) continue;
      try {
        out.push(JSON.parse(readFileSync(join(this.dir, f), "utf8")) as PendingReply);
      } catch {
        rmSync(join(this.dir, f), { force: true });
      }
    }
    return out;
  }

  add(r: PendingReply): void {
    writeFileAtomic(this.path(r), JSON.stringify(r));
  }

  remove(r: PendingReply): void {
    rmSync(this.path(r), { force: true });
  }
}

/** A way to hand replies to the server. */
export interface ReplyRoute {
  /**
   * mgs: the frame went out; the reply counts as delivered when agent_job_reply_ack comes.
   * poll: SendReply answered 200; the reply is delivered.
   */
  readonly kind: "mgs" | "poll";
  send(r: PendingReply): Promise<void>;
}

interface Slot {
  reply: PendingReply;
  sentAt?: number;
  attempts: number;
}

/**
 * Replies in the order they were made, kept (on disk for the agent) until the server took them:
 * over the control channel until agent_job_reply_ack arrives (re-sent when it does not), over
 * ec2messages until SendReply succeeds. Survives restarts; the server deduplicates by reply id.
 */
export class ReplyQueue {
  private readonly slots: Slot[] = [];
  private seq = 0;
  private mgs?: ReplyRoute;
  private poll?: ReplyRoute;
  private pumping = false;
  private again = false;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private readonly waiters = new Set<() => void>();
  private readonly observers = new Set<(r: PendingReply) => void>();

  constructor(
    private readonly store: ReplyStore,
    private readonly log: Logger,
    private readonly ackTimeoutMs = 30_000,
  ) {
    for (const r of store.load()) {
      this.slots.push({ reply: r, attempts: 0 });
      this.seq = Math.max(this.seq, r.seq);
    }
  }

  get size(): number {
    return this.slots.length;
  }

  setRoutes(routes: { mgs?: ReplyRoute; poll?: ReplyRoute }): void {
    if ("mgs" in routes) {
      this.mgs = routes.mgs;
      // frames sent on a channel that went away were never acknowledged: send them again
      for (const s of this.slots) s.sentAt = undefined;
    }
    if ("poll" in routes) this.poll = routes.poll;
    this.kick();
  }

  enqueue(messageId: string, topic: string, payload: SendReplyPayload, replyId: string): void {
    const reply: PendingReply = { replyId, messageId, topic, payload, seq: ++this.seq, createdAt: Date.now() };
    this.store.add(reply);
    this.slots.push({ reply, attempts: 0 });
    for (const o of this.observers) o(reply);
    this.kick();
  }

  /** Calls `fn` for every reply the agent makes from now on (benchmarks, tests); returns the unsubscribe. */
  observe(fn: (r: PendingReply) => void): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  /** agent_job_reply_ack: the server took the reply with this id. */
  acknowledge(replyId: string): void {
    const i = this.slots.findIndex((s) => s.reply.replyId === replyId);
    if (i < 0) return;
    const [s] = this.slots.splice(i, 1);
    this.store.remove(s.reply);
    this.settle();
    this.kick();
  }

  /** Sends what waits now instead of at its next retry (the server is reachable again). */
  retryNow(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.slots) s.attempts = Math.min(s.attempts, 1);
    this.kick();
  }

  /** Resolves once every queued reply was taken (for tests and a clean stop). */
  drained(): Promise<void> {
    if (this.slots.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private settle(): void {
    if (this.slots.length === 0) {
      for (const w of this.waiters) w();
      this.waiters.clear();
    }
  }

  kick(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.pump().finally(() => {
      this.pumping = false;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.kick(), ms);
    this.timer.unref();
  }

  private async pump(): Promise<void> {
    let nextCheck = Number.POSITIVE_INFINITY;
    for (const slot of [...this.slots]) {
      if (this.stopped) return;
      if (!this.slots.includes(slot)) continue;
      const route = this.mgs ?? this.poll;
      if (!route) return;
      const now = Date.now();
      if (route.kind === "mgs") {
        const wait = this.ackTimeoutMs * Math.min(8, 2 ** Math.max(0, slot.attempts - 1));
        if (slot.sentAt !== undefined && now - slot.sentAt < wait) {
          nextCheck = Math.min(nextCheck, slot.sentAt + wait - now);
          continue;
        }
        try {
          slot.attempts++;
          slot.sentAt = now;
          await route.send(slot.reply);
          nextCheck = Math.min(nextCheck, wait);
        } catch (e) {
          this.log.debug({ err: e }, "sending a reply on the control channel failed");
          slot.sentAt = undefined;
          nextCheck = Math.min(nextCheck, 2_000);
          return this.schedule(nextCheck);
        }
      } else {
        try {
          slot.attempts++;
          await route.send(slot.reply);
          const i = this.slots.indexOf(slot);
          if (i >= 0) this.slots.splice(i, 1);
          this.store.remove(slot.reply);
          this.settle();
        } catch (e) {
          this.log.warn({ err: e, messageId: slot.reply.messageId }, "SendReply failed; will retry");
          return this.schedule(Math.min(60_000, 1_000 * 2 ** Math.min(6, slot.attempts)));
        }
      }
    }
    if (Number.isFinite(nextCheck)) this.schedule(Math.max(50, nextCheck));
  }
}

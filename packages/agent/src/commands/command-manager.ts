import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CancelCommandPayload, parseJobMessageId, type SendCommandPayload, Topic } from "@openssm/protocol";
import type { CommandRecord } from "./command-record.js";
import { DocumentRunner, type RunnerEnv } from "./document-runner.js";

/** A Run Command job as either transport delivers it. */
export interface IncomingJob {
  /** aws.ssm.<commandId>.<instanceId> */
  messageId: string;
  /** aws.ssm.sendCommand… or aws.ssm.cancelCommand… */
  topic: string;
  /** SendCommandPayload / CancelCommandPayload as JSON text */
  content: string;
}

export type JobVerdict =
  /** Taken: acknowledge it, then call accepted(). */
  | { kind: "accepted"; commandId: string; cancel: boolean }
  /** Seen before (running or finished): acknowledge it and do nothing else. */
  | { kind: "duplicate"; commandId: string }
  /** Not a job this agent understands. */
  | { kind: "invalid"; error: string; commandId?: string };

export interface ManagerOptions {
  /** Commands run at the same time; more wait their turn. */
  maxConcurrent: number;
  /** Finished commands are remembered (never run twice) this long. */
  retentionMs: number;
}

/**
 * Takes jobs from the transports, remembers every command (so a redelivered one never runs twice),
 * runs them with a concurrency limit, cancels them, and resumes the ones a restart interrupted.
 */
export class CommandManager {
  private readonly runners = new Map<string, DocumentRunner>();
  private readonly waiting: CommandRecord[] = [];
  private readonly cancelledEarly = new Map<string, number>();
  private active = 0;
  private stopped = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly env: RunnerEnv,
    private readonly opts: ManagerOptions,
  ) {}

  /** Decides about a job and, when it is new, saves it before it is acknowledged. */
  receive(job: IncomingJob): JobVerdict {
    let parsed: unknown;
    try {
      parsed = JSON.parse(job.content);
    } catch {
      return { kind: "invalid", error: `the payload of ${job.messageId} is not JSON`, commandId: parseJobMessageId(job.messageId)?.commandId };
    }
    if (job.topic.startsWith(Topic.CancelCommand)) {
      const target = (parsed as CancelCommandPayload).CancelMessageId;
      const commandId = target ? parseJobMessageId(target)?.commandId : undefined;
      if (!commandId) return { kind: "invalid", error: "a cancel job needs CancelMessageId aws.ssm.<commandId>.<instanceId>" };
      return { kind: "accepted", commandId, cancel: true };
    }
    if (!job.topic.startsWith(Topic.SendCommand)) return { kind: "invalid", error: `unexpected topic ${job.topic}` };
    const payload = parsed as SendCommandPayload;
    const commandId = payload?.CommandId || parseJobMessageId(job.messageId)?.commandId;
    if (!commandId) return { kind: "invalid", error: `no command id in ${job.messageId}` };
    if (this.env.store.get(commandId)) return { kind: "duplicate", commandId };
    this.env.store.save({
      commandId,
      messageId: job.messageId,
      documentName: payload.DocumentName ?? "",
      payload,
      receivedAt: Date.now(),
      state: "running",
      steps: [],
    });
    return { kind: "accepted", commandId, cancel: false };
  }

  /** After the job was acknowledged: report it InProgress and run it (or cancel the command it names). */
  accepted(verdict: Extract<JobVerdict, { kind: "accepted" }>): void {
    if (verdict.cancel) {
      this.cancel(verdict.commandId);
      return;
    }
    const record = this.env.store.get(verdict.commandId);
    if (!record) return;
    const runner = new DocumentRunner(this.env, record);
    runner.reportReceived();
    if (this.cancelledEarly.delete(record.commandId)) record.cancelRequested = true;
    this.schedule(record, runner);
  }

  /** A job this agent cannot take: remember it as failed so a redelivery is not retried forever. */
  rejected(messageId: string, commandId: string | undefined, error: string): void {
    if (!commandId || this.env.store.get(commandId)) return;
    const record: CommandRecord = {
      commandId,
      messageId,
      documentName: "",
      payload: {} as SendCommandPayload,
      receivedAt: Date.now(),
      state: "running",
      steps: [],
    };
    this.env.store.save(record);
    const runner = new DocumentRunner(this.env, record);
    runner.reject(error);
  }

  cancel(commandId: string): void {
    const runner = this.runners.get(commandId);
    if (runner) {
      runner.cancel();
      return;
    }
    const waiting = this.waiting.find((r) => r.commandId === commandId);
    if (waiting) {
      waiting.cancelRequested = true;
      this.env.store.save(waiting);
      return;
    }
    if (!this.env.store.get(commandId)) {
      // the cancel overtook the command: remember it for a while
      this.cancelledEarly.set(commandId, Date.now());
      for (const [id, t] of this.cancelledEarly) if (Date.now() - t > 3_600_000) this.cancelledEarly.delete(id);
    }
  }

  /** Resumes the commands a restart interrupted (their steps' processes may still run). */
  resume(): number {
    const records = this.env.store.running();
    for (const record of records) this.schedule(record, new DocumentRunner(this.env, record));
    return records.length;
  }

  private schedule(record: CommandRecord, runner: DocumentRunner): void {
    this.runners.set(record.commandId, runner);
    if (this.active >= this.opts.maxConcurrent) {
      this.waiting.push(record);
      return;
    }
    this.start(runner);
  }

  private start(runner: DocumentRunner): void {
    this.active++;
    const id = runner.record.commandId;
    void runner
      .run()
      .catch((e) => this.env.log.error({ err: e, commandId: id }, "running a command failed"))
      .finally(() => {
        this.active--;
        this.runners.delete(id);
        const next = this.stopped ? undefined : this.waiting.shift();
        if (next) {
          const r = this.runners.get(next.commandId);
          if (r) this.start(r);
        }
        if (this.active === 0) {
          for (const f of this.idle) f();
          this.idle.clear();
        }
      });
  }

  /** Number of commands running or waiting. */
  get busy(): number {
    return this.active + this.waiting.length;
  }

  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((r) => this.idle.add(r));
  }

  /** Forgets finished commands past the retention (and their orchestration directories). */
  prune(): void {
    this.env.store.prune(Date.now() - this.opts.retentionMs);
    let names: string[];
    try {
      names = readdirSync(this.env.orchestrationRoot);
    } catch {
      return; // no orchestration directory yet
    }
    // directories of commands the store no longer knows
    for (const name of names) if (!this.env.store.get(name)) rmSync(join(this.env.orchestrationRoot, name), { recursive: true, force: true });
  }

  stop(): void {
    this.stopped = true;
  }
}

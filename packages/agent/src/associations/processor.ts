import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { SendCommandPayload } from "@openssm/protocol";
import type { Logger } from "../log.js";
import type { CommandRecord } from "../commands/command-record.js";
import { type CommandStore, FileCommandStore, MemoryCommandStore } from "../commands/command-store.js";
import { DocumentRunner, type RunnerEnv } from "../commands/document-runner.js";
import { documentContent } from "../documents/document-steps.js";
import { ensureDir, writeFileAtomic } from "../identity/identity-store.js";
import type { ReplyQueue } from "../transport/reply-queue.js";

/** One association as ListInstanceAssociations lists it (InstanceAssociationSummary; ExecutionId is openssm's). */
export interface InstanceAssociation {
  AssociationId: string;
  Name: string;
  AssociationVersion?: string;
  DocumentVersion?: string;
  Parameters?: Record<string, string[]>;
  LastExecutionDate?: number;
  DetailedStatus?: string;
  ExecutionId?: string;
  Checksum?: string;
}

/** What became of one application, kept until the server took the report. */
interface RunResult {
  associationId: string;
  associationVersion?: string;
  status?: string;
  summary?: string;
  errorCode?: string;
  executedAt?: number;
  reported: boolean;
  at: number;
}

export interface ProcessorOptions {
  /** The agent's document runner environment (output and replies of association runs stay on the node). */
  env: RunnerEnv;
  /** Runs are kept here (so a restart neither loses nor repeats one); none: in memory. */
  dataDir?: string;
  /** How often the agent looks at its associations without being told (AWS: 10 minutes). */
  intervalMs: number;
  log: Logger;
}

/** The longest ExecutionSummary UpdateInstanceAssociationStatus takes. */
const SUMMARY_CHARS = 512;
/** Results are remembered this long (a redelivered request for the same application is not run again). */
const RETENTION_MS = 14 * 24 * 3_600_000;

/** A reply queue that keeps nothing: an association run reports through UpdateInstanceAssociationStatus. */
const NO_REPLIES = { enqueue() {} } as unknown as ReplyQueue;

/**
 * State Manager on the node: lists the node's associations (at start, every `intervalMs`, and when
 * an aws:refreshAssociation job asks), applies each one the server marks Pending with its document
 * (GetDocument) through the same document runner as Run Command, and reports InProgress and the
 * outcome with UpdateInstanceAssociationStatus. Each application (the server's ExecutionId) is saved
 * before it starts, so a restarted agent finishes or reports it but never runs it twice.
 */
export class AssociationProcessor {
  private readonly store: CommandStore;
  private readonly resultsDir?: string;
  private readonly results = new Map<string, RunResult>();
  private readonly active = new Set<string>();
  /**
   * Finished runs whose outcome the server has not acknowledged. The listing does not offer them again
   * (once the node reported a run InProgress it is no longer Pending there), so each listing re-sends them.
   */
  private readonly unreported = new Set<string>();
  /** Documents by name, version and association checksum (a new association version fetches again). */
  private readonly documents = new Map<string, Record<string, unknown>>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private again = false;
  private stopped = false;
  private failures = 0;
  private retryTimer?: NodeJS.Timeout;

  constructor(private readonly opts: ProcessorOptions) {
    this.store = opts.dataDir ? new FileCommandStore(join(opts.dataDir, "associations", "runs")) : new MemoryCommandStore();
    if (opts.dataDir) {
      this.resultsDir = join(opts.dataDir, "associations", "results");
      ensureDir(this.resultsDir);
    }
  }

  private get instanceId(): string {
    return this.opts.env.instanceId;
  }

  start(): void {
    this.store.prune(Date.now() - RETENTION_MS);
    if (this.resultsDir) {
      // Outcomes a restart left unsent are sent at the first listing; those past retention go.
      for (const f of readdirSync(this.resultsDir)) {
        const runId = f.replace(/\.json$/, "");
        const r = this.result(runId);
        if (r && r.at < Date.now() - RETENTION_MS) {
          rmSync(join(this.resultsDir, f), { force: true });
          this.results.delete(runId);
        } else if (r?.status && !r.reported) this.unreported.add(runId);
      }
    }
    // Applications a restart interrupted: the runner resumes their steps (a finished step is not run again).
    for (const record of this.store.running()) void this.execute(record);
    this.refresh();
    this.timer = setInterval(() => this.refresh(), this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retryTimer);
  }

  /** A listing or report that failed is tried again within seconds, not at the next interval (backing off to a minute). */
  private retrySoon(): void {
    if (this.stopped || this.retryTimer) return;
    this.failures++;
    const delay = Math.min(60_000, 1_000 * 2 ** Math.min(this.failures, 6)) * (0.5 + Math.random() / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.refresh();
    }, delay);
    this.retryTimer.unref();
  }

  /** Looks at the associations now (coalesced: one listing at a time, one more if asked meanwhile). */
  refresh(): void {
    if (this.stopped) return;
    if (this.polling) {
      this.again = true;
      return;
    }
    this.polling = this.poll()
      .then(() => {
        this.failures = 0;
      })
      .catch((err) => {
        this.opts.log.warn({ err }, "listing the node's associations failed");
        this.retrySoon();
      })
      .finally(() => {
        this.polling = undefined;
        if (this.again) {
          this.again = false;
          this.refresh();
        }
      });
  }

  /** Resolves once no listing or application is under way (tests, the simulator). */
  async idle(): Promise<void> {
    while (this.polling || this.active.size) {
      await (this.polling ?? new Promise((r) => setTimeout(r, 20)));
    }
  }

  private async list(): Promise<InstanceAssociation[]> {
    const out: InstanceAssociation[] = [];
    let token: string | undefined;
    do {
      const page = await this.opts.env.ssm<{ Associations?: InstanceAssociation[]; NextToken?: string }>("ListInstanceAssociations", {
        InstanceId: this.instanceId,
        MaxResults: 50,
        ...(token ? { NextToken: token } : {}),
      });
      out.push(...(page.Associations ?? []));
      token = page.NextToken || undefined;
    } while (token);
    return out;
  }

  private async poll(): Promise<void> {
    const all = await this.list();
    this.opts.log.info({ associations: all.length, pending: all.filter((a) => a.DetailedStatus === "Pending").length }, "associations listed");
    for (const a of all) {
      if (a.DetailedStatus !== "Pending") continue;
      const runId = runIdOf(a);
      if (this.active.has(runId)) continue;
      const known = this.store.get(runId);
      if (known) {
        // Applied already (or under way after a restart): report the outcome again if the server lacks it.
        const result = this.result(runId);
        if (known.state === "done" && result?.status) await this.report(runId, result);
        continue;
      }
      void this.apply(a, runId);
    }
    for (const runId of [...this.unreported]) {
      if (this.active.has(runId)) continue;
      const result = this.result(runId);
      if (result?.status && !result.reported) await this.report(runId, result);
      else this.unreported.delete(runId);
    }
  }

  private async apply(a: InstanceAssociation, runId: string): Promise<void> {
    this.active.add(runId);
    try {
      const payload: SendCommandPayload = {
        CommandId: runId,
        DocumentName: a.Name,
        DocumentContent: {} as SendCommandPayload["DocumentContent"],
        Parameters: a.Parameters ?? {},
        OutputS3BucketName: "",
        OutputS3KeyPrefix: "",
      };
      const record: CommandRecord = {
        commandId: runId,
        messageId: `association.${a.AssociationId}.${a.AssociationVersion ?? ""}`,
        documentName: a.Name,
        payload,
        receivedAt: Date.now(),
        state: "running",
        steps: [],
      };
      this.saveResult(runId, { associationId: a.AssociationId, associationVersion: a.AssociationVersion, reported: false, at: Date.now() });
      try {
        const key = `${a.Name}|${a.DocumentVersion ?? ""}|${a.Checksum ?? runId}`;
        let content = this.documents.get(key);
        if (!content) {
          const doc = await this.opts.env.ssm<{ Content?: string }>("GetDocument", {
            Name: a.Name,
            ...(a.DocumentVersion ? { DocumentVersion: a.DocumentVersion } : {}),
          });
          content = await documentContent(doc.Content ?? "");
          if (this.documents.size > 100) this.documents.clear();
          this.documents.set(key, content);
        }
        payload.DocumentContent = structuredClone(content) as SendCommandPayload["DocumentContent"];
      } catch (e) {
        record.state = "done";
        record.finishedAt = Date.now();
        this.store.save(record);
        await this.finishWith(runId, {
          status: "Failed",
          summary: `The document ${a.Name} could not be loaded: ${(e as Error).message}`,
          errorCode: "ListAssociationError",
        });
        return;
      }
      this.store.save(record);
      await this.sendStatus(a.AssociationId, a.AssociationVersion, "InProgress", "Association is in progress", "");
      await this.execute(record);
    } finally {
      this.active.delete(runId);
    }
  }

  private async execute(record: CommandRecord): Promise<void> {
    this.active.add(record.commandId);
    try {
      // Their own orchestration folder: Run Command's pruning removes folders of commands it does not know.
      const env = { ...this.opts.env, replies: NO_REPLIES, store: this.store, orchestrationRoot: `${this.opts.env.orchestrationRoot}-associations` };
      const runner = new DocumentRunner(env, record);
      await runner.run();
      await this.finishWith(record.commandId, outcome(runner.record));
    } catch (err) {
      this.opts.log.error({ err, runId: record.commandId }, "applying an association failed");
    } finally {
      this.active.delete(record.commandId);
    }
  }

  private async finishWith(runId: string, o: { status: string; summary: string; errorCode: string }): Promise<void> {
    const meta = this.result(runId) ?? { associationId: associationIdOf(this.store.get(runId)?.messageId), reported: false, at: Date.now() };
    const result: RunResult = {
      ...meta,
      status: o.status,
      summary: o.summary,
      errorCode: o.errorCode,
      executedAt: Date.now(),
      reported: false,
      at: Date.now(),
    };
    this.saveResult(runId, result);
    await this.report(runId, result);
  }

  private async report(runId: string, r: RunResult): Promise<void> {
    if (!r.status || !r.associationId) return;
    const ok = await this.sendStatus(r.associationId, r.associationVersion, r.status, r.summary ?? "", r.errorCode ?? "", r.executedAt);
    if (ok && !r.reported) this.saveResult(runId, { ...r, reported: true });
    if (ok) this.unreported.delete(runId);
    else this.unreported.add(runId);
  }

  private async sendStatus(
    associationId: string,
    version: string | undefined,
    status: string,
    summary: string,
    errorCode: string,
    at = Date.now(),
  ): Promise<boolean> {
    try {
      await this.opts.env.ssm("UpdateInstanceAssociationStatus", {
        AssociationId: associationId,
        ...(version ? { AssociationVersion: version } : {}),
        InstanceId: this.instanceId,
        ExecutionResult: { Status: status, ErrorCode: errorCode, ExecutionDate: at / 1000, ExecutionSummary: summary.slice(0, SUMMARY_CHARS) || status },
      });
      return true;
    } catch (err) {
      this.opts.log.warn({ err, associationId, status }, "UpdateInstanceAssociationStatus failed; the next listing reports it again");
      if (status !== "InProgress") this.retrySoon();
      return false;
    }
  }

  private result(runId: string): RunResult | undefined {
    const cached = this.results.get(runId);
    if (cached || !this.resultsDir) return cached;
    const file = join(this.resultsDir, `${fileName(runId)}.json`);
    if (!existsSync(file)) return undefined;
    try {
      const r = JSON.parse(readFileSync(file, "utf8")) as RunResult;
      this.results.set(runId, r);
      return r;
    } catch {
      rmSync(file, { force: true });
      return undefined;
    }
  }

  private saveResult(runId: string, r: RunResult): void {
    this.results.set(runId, r);
    if (this.resultsDir) writeFileAtomic(join(this.resultsDir, `${fileName(runId)}.json`), JSON.stringify(r));
    if (this.results.size > 10_000) for (const k of [...this.results.keys()].slice(0, 1000)) this.results.delete(k);
  }
}

function fileName(runId: string): string {
  return runId.replace(/[^A-Za-z0-9._-]/g, "_");
}

function associationIdOf(messageId: string | undefined): string {
  return messageId?.split(".")[1] ?? "";
}

/** The application's id: the server's ExecutionId, or (amazon-ssm-agent's server) the association and its last run. */
function runIdOf(a: InstanceAssociation): string {
  if (a.ExecutionId) return a.ExecutionId;
  return `a${createHash("sha256")
    .update(`${a.AssociationId}|${a.AssociationVersion ?? ""}|${a.LastExecutionDate ?? ""}`)
    .digest("hex")
    .slice(0, 32)}`;
}

/** The association status and summary of a finished run, as amazon-ssm-agent words it. */
export function outcome(record: CommandRecord): { status: string; summary: string; errorCode: string } {
  const steps = record.steps;
  const n = (s: string) => steps.filter((x) => x.status === s).length;
  const success = steps.filter((x) => x.status === "Success" || x.status === "SuccessAndReboot" || x.status === "PassedAndReboot").length;
  const failed = n("Failed");
  const timedOut = n("TimedOut");
  const skipped = n("Skipped");
  const total = steps.length;
  let summary = `${success + failed + timedOut + skipped} out of ${total} plugin${total === 1 ? "" : "s"} processed, ${success} success, ${failed} failed, ${timedOut} timedout, ${skipped} skipped.`;
  for (const s of steps.filter((x) => x.status === "Failed"))
    summary += ` The operation ${s.id} failed because ${(s.standardError || s.output || "it failed").trim()}.`;
  const output = steps
    .map((s) => (s.standardOutput ?? s.output ?? "").trim())
    .filter(Boolean)
    .join("\n");
  if (output) summary += `\n${output}`;
  const doc = record.documentStatus ?? (failed ? "Failed" : "Success");
  const status = doc === "Failed" || failed ? "Failed" : doc === "TimedOut" || timedOut ? "TimedOut" : total > 0 && skipped === total ? "Skipped" : "Success";
  return { status, summary: summary.slice(0, SUMMARY_CHARS), errorCode: status === "Failed" ? "1" : status === "TimedOut" ? "TimedOut" : "" };
}

import { randomUUID } from "node:crypto";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { type AgentInfo, type PluginRuntimeStatus, type ResultStatus, Topic } from "@openssm/protocol";
import type { Logger } from "../log.js";
import { DocumentError, documentContent, type ParsedDocument, parseDocument } from "../documents/document-steps.js";
import { parameterStoreReferences, substituteParameterStore } from "../documents/parameters.js";
import { OutputStream, STDERR_CAP, STDOUT_CAP, combinedOutput } from "../exec/output-stream.js";
import type { PlatformType } from "../health/platform-info.js";
import type { AgentHooks, PluginResult, StepContext } from "../plugins/plugin.js";
import type { ReplyQueue } from "../transport/reply-queue.js";
import type { CommandRecord, StepRecord } from "./command-record.js";
import type { CommandStore } from "./command-store.js";
import { documentStatus, replyPayload, statusCounts, stepRuntimeStatus } from "./reply-payload.js";
import { decideStep, EXIT_WITH_FAILURE, EXIT_WITH_SUCCESS, stepProperty } from "./step-decision.js";

/** What running documents needs from the agent. */
export interface RunnerEnv {
  instanceId: string;
  region: string;
  /** <data-dir>/orchestration */
  orchestrationRoot: string;
  platformType: PlatformType;
  agentInfo: AgentInfo;
  replies: ReplyQueue;
  store: CommandStore;
  ssm<T>(operation: string, input: unknown): Promise<T>;
  /** How often running output is sent (ms). */
  outputIntervalMs: number;
  inlineExecution: boolean;
  /** Most characters of a stream's whole text sent to the server. */
  maxStreamChars: number;
  /**
   * A step exited with the reboot code: reboot the machine. true: a reboot is under way (the command
   * resumes when the agent starts again); false: no reboot is possible here, resume at once.
   */
  reboot(commandId: string): Promise<boolean>;
  /** additionalInfo.ableToOpenMGSConnection (ec2messages replies) */
  ableToOpenMgs(): boolean | undefined;
  log: Logger;
  /** What plugins may ask of the agent (State Manager, Inventory). */
  hooks?: AgentHooks;
}

/** Pieces of running output: at most this many characters per stream per reply. */
const PIECE_CHARS = 30_000;
/** A command may ask for reboots at most this many times. */
const MAX_REBOOTS = 10;
const TERMINAL = new Set(["Success", "Failed", "TimedOut", "Cancelled", "Skipped"]);

function emptyStep(id: string, action: string): StepRecord {
  return { id, action, status: "", code: 0, output: "", startDateTime: "", endDateTime: "" };
}

function iso(t = Date.now()): string {
  return new Date(t).toISOString();
}

/**
 * Runs one command's document: its steps in order, with replies as amazon-ssm-agent sends them
 * (a reply per finished step when there are several, a final one), plus InProgress replies that
 * stream the running step's output. Every state change is saved, so a restarted agent resumes
 * the command: finished steps are not run again, a step whose process outlived the agent is
 * followed to its end, a step whose process is gone fails.
 */
export class DocumentRunner {
  private readonly cancelHandlers = new Set<() => void>();
  private readonly log: Logger;

  constructor(
    private readonly env: RunnerEnv,
    readonly record: CommandRecord,
  ) {
    this.log = env.log.child({ commandId: record.commandId });
  }

  cancel(): void {
    if (this.record.cancelRequested) return;
    this.record.cancelRequested = true;
    this.persist();
    for (const h of [...this.cancelHandlers]) h();
  }

  private persist(): void {
    this.env.store.save(this.record);
  }

  /**
   * The document-level InProgress reply the agent sends once it took the job. It waits a moment:
   * a command that is over by then needs only its final reply (a thousand `echo`s make a thousand
   * fewer replies for the server to take). The acknowledgement already told the server it runs.
   */
  reportReceived(delayMs = 250): void {
    const t = setTimeout(() => {
      if (this.record.state !== "done") this.reply("InProgress", null);
    }, delayMs);
    t.unref();
  }

  /** Ends a job the agent could not take with a document-level Failed reply. */
  reject(error: string): void {
    this.finish("Failed", error);
  }

  private reply(status: ResultStatus, runtimeStatus: Record<string, PluginRuntimeStatus> | null, trace?: string): void {
    const payload = replyPayload(this.env.agentInfo, status, runtimeStatus, statusCounts(this.record.steps), {
      trace,
      ableToOpenMGSConnection: this.env.ableToOpenMgs(),
    });
    this.env.replies.enqueue(this.record.messageId, Topic.SendCommand, payload, randomUUID());
  }

  private async parse(): Promise<ParsedDocument> {
    const p = this.record.payload;
    const doc = parseDocument(await documentContent(p.DocumentContent), p.Parameters as Record<string, unknown>);
    const refs = parameterStoreReferences(doc.steps.map((s) => [s.inputs, s.precondition]));
    if (refs.size === 0) return doc;
    const values = new Map<string, string>();
    const names = [...refs];
    for (let i = 0; i < names.length; i += 10) {
      const batch = names.slice(i, i + 10);
      const secure = batch.some((n) => n.startsWith("ssm-secure:"));
      const out = await this.env.ssm<{ Parameters?: { Name: string; Value: string }[]; InvalidParameters?: string[] }>("GetParameters", {
        Names: batch.map((n) => n.slice(n.indexOf(":") + 1)),
        WithDecryption: secure,
      });
      if (out.InvalidParameters?.length) throw new DocumentError(`Parameters ${out.InvalidParameters.join(", ")} referenced in the document were not found`);
      for (const prm of out.Parameters ?? []) for (const n of batch) if (n.slice(n.indexOf(":") + 1) === prm.Name) values.set(n, prm.Value);
    }
    for (const s of doc.steps) s.inputs = substituteParameterStore(s.inputs, values);
    return doc;
  }

  async run(): Promise<void> {
    let doc: ParsedDocument;
    try {
      doc = await this.parse();
    } catch (e) {
      const message = e instanceof DocumentError ? e.message : `could not prepare the document: ${(e as Error).message}`;
      this.log.warn({ err: e }, "document rejected");
      return this.finish("Failed", message);
    }
    const r = this.record;
    if (r.steps.length !== doc.steps.length) r.steps = doc.steps.map((s) => emptyStep(s.id, s.action));
    for (let i = 0; i < doc.steps.length; i++) {
      const st = r.steps[i];
      if (TERMINAL.has(st.status)) continue;
      let resumed = st.status === "InProgress";
      if (st.status === "SuccessAndReboot") {
        Object.assign(st, emptyStep(st.id, st.action));
        resumed = false;
      }
      await this.runStep(doc, i, resumed);
      if (st.status !== "SuccessAndReboot") continue;
      r.reboots = (r.reboots ?? 0) + 1;
      this.persist();
      this.reply("SuccessAndReboot", r.steps.length <= 1 ? { [st.id]: stepRuntimeStatus(st) } : {});
      if (r.reboots > MAX_REBOOTS) {
        st.status = "Failed";
        st.output = `the step asked for a reboot more than ${MAX_REBOOTS} times`;
        break;
      }
      if (await this.env.reboot(r.commandId)) return; // resumes after the reboot
      this.log.info({ step: st.id }, "no reboot possible here: running the step again as after a reboot");
      Object.assign(st, emptyStep(st.id, st.action));
      i--;
    }
    this.finish(documentStatus(r.steps));
  }

  private finish(status: ResultStatus, trace?: string): void {
    const r = this.record;
    const runtime = trace !== undefined ? null : r.steps.length <= 1 ? Object.fromEntries(r.steps.map((s) => [s.id, stepRuntimeStatus(s)])) : {};
    r.documentStatus = status;
    this.reply(status, runtime, trace);
    r.state = "done";
    r.finishedAt = Date.now();
    this.persist();
    // its output now lives in the queued replies; the scripts and output files can go
    rmSync(join(this.env.orchestrationRoot, r.commandId), { recursive: true, force: true });
    this.log.debug({ status }, "command finished");
  }

  private streams(st: StepRecord): { stdout: OutputStream; stderr: OutputStream } {
    st.stdout ??= { bytesRead: 0, unitsSent: 0, head: "" };
    st.stderr ??= { bytesRead: 0, unitsSent: 0, head: "" };
    return {
      stdout: new OutputStream(STDOUT_CAP, this.env.maxStreamChars, st.stdout),
      stderr: new OutputStream(STDERR_CAP, this.env.maxStreamChars, st.stderr),
    };
  }

  /** Sends the step's unsent output in InProgress replies, then saves the record. */
  private async flush(st: StepRecord, stdout: OutputStream, stderr: OutputStream): Promise<void> {
    for (;;) {
      const out = stdout.takePiece(PIECE_CHARS);
      const err = stderr.takePiece(PIECE_CHARS);
      if (!out && !err) break;
      const rs = {
        status: "InProgress",
        code: 0,
        name: st.action,
        output: "",
        startDateTime: st.startDateTime,
        endDateTime: "",
        outputS3BucketName: "",
        outputS3KeyPrefix: "",
        stepName: "",
        standardOutput: out?.text ?? "",
        standardOutputOffset: out?.offset ?? stdout.sentUnits,
        standardError: err?.text ?? "",
        standardErrorOffset: err?.offset ?? stderr.sentUnits,
      } as PluginRuntimeStatus;
      this.reply("InProgress", { [st.id]: rs });
    }
    this.persist();
  }

  private context(doc: ParsedDocument, i: number, st: StepRecord, stdout: OutputStream, stderr: OutputStream, depth: number): StepContext {
    const r = this.record;
    return {
      instanceId: this.env.instanceId,
      hooks: this.env.hooks ?? {},
      step: doc.steps[i],
      record: r,
      state: st,
      stdout,
      stderr,
      orchestrationDir: join(this.env.orchestrationRoot, r.commandId, depth === 0 ? st.id : `${st.id}.nested${depth}.${i}`),
      env: { SSM_COMMAND_ID: r.commandId, AWS_SSM_INSTANCE_ID: this.env.instanceId, AWS_SSM_REGION_NAME: this.env.region },
      platformType: this.env.platformType,
      inlineExecution: this.env.inlineExecution,
      outputIntervalMs: this.env.outputIntervalMs,
      depth,
      isCancelled: () => r.cancelRequested === true,
      onCancel: (fn) => {
        this.cancelHandlers.add(fn);
        if (r.cancelRequested) fn();
        return () => this.cancelHandlers.delete(fn);
      },
      persist: () => this.persist(),
      flushOutput: () => this.flush(st, stdout, stderr),
      ssm: (op, input) => this.env.ssm(op, input),
      runNested: (content, params, d) => this.runNested(content, params, d, st, stdout, stderr),
    };
  }

  private async runStep(doc: ParsedDocument, i: number, resumed: boolean): Promise<void> {
    const st = this.record.steps[i];
    const decision = decideStep(doc, this.record.steps, i, this.env.platformType);
    if (!resumed) st.startDateTime = iso();
    if (decision.kind === "skip") {
      Object.assign(st, { status: "Skipped", code: 0, output: decision.message });
    } else if (decision.kind === "fail") {
      Object.assign(st, { status: "Failed", code: 1, output: decision.message });
    } else {
      const { stdout, stderr } = this.streams(st);
      st.status = "InProgress";
      this.persist();
      const ctx = this.context(doc, i, st, stdout, stderr, 0);
      let result: PluginResult;
      try {
        const resuming = resumed ? decision.plugin.resume?.(ctx) : undefined;
        if (resumed && !resuming) {
          const message = "document process failed unexpectedly: the agent stopped while this step ran and the step cannot be resumed";
          stderr.feed(stderr.length > 0 ? `\n${message}` : message);
          result = { status: "Failed", code: 1 };
        } else result = await (resuming ?? decision.plugin.run(ctx));
      } catch (e) {
        this.log.error({ err: e, step: st.id }, "plugin crashed");
        result = { status: "Failed", code: 1, error: `Plugin crashed with message ${(e as Error).message}!` };
      }
      this.applyExitModifiers(doc, i, result, stdout);
      // what fits in the heads goes with the step's final status; only longer output is sent in pieces
      stdout.settleInHead();
      stderr.settleInHead();
      await this.flush(st, stdout, stderr);
      st.status = result.status;
      st.code = result.code;
      st.standardOutput = stdout.head;
      st.standardError = stderr.head;
      st.output = result.error ?? combinedOutput(stdout.head, stderr.head);
    }
    st.endDateTime = iso();
    st.process = undefined;
    this.persist();
    if (this.record.steps.length > 1 && st.status !== "SuccessAndReboot") {
      this.reply("InProgress", { [st.id]: stepRuntimeStatus(st) });
    }
  }

  /** Exit codes 168 / 169 and onFailure: successAndExit, as amazon-ssm-agent applies them. */
  private applyExitModifiers(doc: ParsedDocument, i: number, result: PluginResult, stdout: OutputStream): void {
    const onFailure = stepProperty(doc.steps[i], "onFailure");
    if (result.code === EXIT_WITH_SUCCESS) {
      result.status = "Success";
      result.error = undefined;
      stdout.feed("\nStep exited with code 168. Therefore, marking step as succeeded. Further document steps will be skipped.");
    } else if (result.code === EXIT_WITH_FAILURE) {
      result.status = "Failed";
      stdout.feed("\nStep exited with code 169. Therefore, marking step as Failed. Further document steps will be skipped.");
    } else if (result.status === "Failed" && (onFailure === "exit" || onFailure === "successAndExit")) {
      stdout.feed("\nStep was found to have onFailure property. Further document steps will be skipped.");
      if (onFailure === "successAndExit") {
        result.status = "Success";
        result.code = EXIT_WITH_SUCCESS;
      }
    }
  }

  /** aws:runDocument: the nested document's steps run in this step, writing to its streams. */
  private async runNested(
    content: Record<string, unknown>,
    params: Record<string, unknown>,
    depth: number,
    parent: StepRecord,
    stdout: OutputStream,
    stderr: OutputStream,
  ): Promise<{ status: ResultStatus; code: number }> {
    let doc: ParsedDocument;
    try {
      doc = parseDocument(content, params);
    } catch (e) {
      stderr.feed((stderr.length > 0 ? "\n" : "") + (e as Error).message);
      return { status: "Failed", code: 1 };
    }
    const records = doc.steps.map((s) => emptyStep(s.id, s.action));
    let code = 0;
    for (let i = 0; i < doc.steps.length; i++) {
      const st = records[i];
      const decision = decideStep(doc, records, i, this.env.platformType);
      if (decision.kind !== "execute") {
        st.status = decision.kind === "skip" ? "Skipped" : "Failed";
        st.code = decision.kind === "skip" ? 0 : 1;
        if (decision.kind === "fail") stderr.feed((stderr.length > 0 ? "\n" : "") + decision.message);
        continue;
      }
      const ctx = this.context(doc, i, parent, stdout, stderr, depth);
      if (i > 0 && stdout.length > 0) stdout.feed("\n");
      const result = await decision.plugin.run(ctx);
      if (result.error) stderr.feed((stderr.length > 0 ? "\n" : "") + result.error);
      this.applyExitModifiers(doc, i, result, stdout);
      st.status = result.status;
      st.code = result.code;
      if (code === 0) code = result.code;
      if (result.status === "SuccessAndReboot") break;
    }
    const status = documentStatus(records);
    return { status: status === "InProgress" ? "Failed" : status, code: status === "Failed" && code === 0 ? 1 : code };
  }
}

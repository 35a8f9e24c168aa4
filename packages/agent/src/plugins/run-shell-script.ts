import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import type { ResultStatus } from "@openssm/protocol";
import { type ProcessEnd, StepProcess } from "../exec/step-process.js";
import type { PlatformType } from "../health/platform-info.js";
import { runInline } from "./inline-shell.js";
import type { Plugin, PluginResult, StepContext } from "./plugin.js";

/** amazon-ssm-agent's limits for timeoutSeconds (out of range → the default). */
const DEFAULT_TIMEOUT_S = 3600;
const MIN_TIMEOUT_S = 5;
const MAX_TIMEOUT_S = 172_800;
/** Exit code of a process killed for a timeout or a cancel (128 + SIGKILL), as the agent reports it. */
export const STOPPED_EXIT_CODE = 137;

export function rebootExitCode(platform: PlatformType): number {
  return platform === "Windows" ? 3010 : 194;
}

/** timeoutSeconds as amazon-ssm-agent reads it: a number or a numeric string within 5..172800, else 3600. */
export function executionTimeoutSeconds(v: unknown): number {
  let n = Number.NaN;
  if (typeof v === "number") n = Math.trunc(v);
  else if (typeof v === "string") {
    const m = /-?\d+/.exec(v.trim());
    n = m ? Number(m[0]) : Number.NaN;
  } else if (Array.isArray(v) && v.length === 1) return executionTimeoutSeconds(v[0]);
  if (!Number.isFinite(n) || n < MIN_TIMEOUT_S || n > MAX_TIMEOUT_S) return DEFAULT_TIMEOUT_S;
  return n;
}

/** runCommand: a string or (nested) lists of strings, flattened into script lines. */
export function commandLines(v: unknown, out: string[] = []): string[] {
  if (typeof v === "string") out.push(v);
  else if (Array.isArray(v)) for (const x of v) commandLines(x, out);
  return out;
}

function field(inputs: Record<string, unknown>, name: string): unknown {
  if (name in inputs) return inputs[name];
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(inputs)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

interface ScriptInput {
  lines: string[];
  workingDirectory: string;
  timeoutSeconds: number;
  environment: Record<string, string>;
}

function readInput(raw: unknown): ScriptInput {
  const inputs = (raw && typeof raw === "object" && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const env: Record<string, string> = {};
  const e = field(inputs, "environment");
  if (e && typeof e === "object" && !Array.isArray(e)) for (const [k, v] of Object.entries(e)) env[k] = String(v);
  const wd = field(inputs, "workingDirectory");
  return {
    lines: commandLines(field(inputs, "runCommand")),
    workingDirectory: typeof wd === "string" ? wd : Array.isArray(wd) && typeof wd[0] === "string" ? wd[0] : "",
    timeoutSeconds: executionTimeoutSeconds(field(inputs, "timeoutSeconds")),
    environment: env,
  };
}

function workingDir(ctx: StepContext, requested: string): string {
  if (requested && isAbsolute(requested)) return requested;
  if (requested) {
    const downloads = join(ctx.orchestrationDir, "..", "downloads", requested);
    if (existsSync(downloads)) return downloads;
  }
  return process.cwd();
}

/** The properties to run: one object (2.x inputs) or each element of a 1.x properties list. */
function propertyList(inputs: unknown): unknown[] {
  return Array.isArray(inputs) ? inputs : [inputs];
}

function statusOf(end: ProcessEnd, ctx: StepContext): { status: ResultStatus; code: number; failure?: string } {
  switch (end.kind) {
    case "exited":
      if (end.exitCode === 0) return { status: "Success", code: 0 };
      if (end.exitCode === rebootExitCode(ctx.platformType)) return { status: "SuccessAndReboot", code: end.exitCode };
      return { status: "Failed", code: end.exitCode, failure: `failed to run commands: exit status ${end.exitCode}` };
    case "timeout":
      return { status: "TimedOut", code: STOPPED_EXIT_CODE };
    case "cancelled":
      return { status: "Cancelled", code: STOPPED_EXIT_CODE };
    case "lost":
      return {
        status: "Failed",
        code: 1,
        failure: end.signal
          ? `failed to run commands: the process was killed by ${end.signal}`
          : "document process failed unexpectedly: the step's process ended without an exit code while the agent was not running",
      };
  }
}

/** Adds the agent's own error line after what the script wrote to stderr. */
function appendError(ctx: StepContext, message: string): void {
  const tail = ctx.stderr.head.length < ctx.stderr.cap ? ctx.stderr.head : "";
  const needsBreak = ctx.stderr.length > 0 && !(tail ? tail.endsWith("\n") : false);
  ctx.stderr.feed(needsBreak ? `\n${message}` : message);
}

/** Follows a running process: streams its output at intervals until it ends. */
async function follow(ctx: StepContext, proc: StepProcess): Promise<ProcessEnd> {
  const unsubscribe = ctx.onCancel(() => proc.kill("cancelled"));
  let ended = false;
  const done = proc.wait().then((end) => {
    ended = true;
    return end;
  });
  try {
    while (!ended) {
      await Promise.race([done, new Promise((r) => setTimeout(r, ctx.outputIntervalMs))]);
      await ctx.stdout.readFrom(proc.stdoutPath);
      await ctx.stderr.readFrom(proc.stderrPath);
      if (!ended && (ctx.stdout.hasPending || ctx.stderr.hasPending)) await ctx.flushOutput();
    }
    const end = await done;
    // everything the process wrote, to the last byte
    await ctx.stdout.readFrom(proc.stdoutPath, Number.MAX_SAFE_INTEGER);
    await ctx.stderr.readFrom(proc.stderrPath, Number.MAX_SAFE_INTEGER);
    return end;
  } finally {
    unsubscribe();
  }
}

function finish(ctx: StepContext, end: ProcessEnd): PluginResult {
  const r = statusOf(end, ctx);
  if (r.failure) appendError(ctx, r.failure);
  return { status: r.status, code: r.code };
}

/** aws:runShellScript: the commands run as one `sh` script; exit codes map to statuses as AWS's agent maps them. */
export const runShellScript: Plugin = {
  name: "aws:runShellScript",
  supported: (p) => p !== "Windows",

  async run(ctx) {
    if (ctx.isCancelled()) return { status: "Cancelled", code: 1 };
    const props = propertyList(ctx.step.inputs);
    let merged: PluginResult | undefined;
    for (const [i, prop] of props.entries()) {
      if (i > 0 && ctx.stdout.length > 0) ctx.stdout.feed("\n");
      if (i > 0 && ctx.stderr.length > 0) ctx.stderr.feed("\n");
      const r = await runOne(ctx, prop, props.length > 1 ? join(ctx.orchestrationDir, String(i)) : ctx.orchestrationDir);
      merged = merged ? { status: worse(merged.status, r.status), code: merged.code === 0 ? r.code : merged.code } : r;
    }
    return merged ?? { status: "Success", code: 0 };
  },

  resume(ctx) {
    const ref = ctx.state.process;
    if (!ref) return undefined;
    return (async () => {
      const proc = StepProcess.reattach(ref.dir, ref);
      const end = await follow(ctx, proc);
      return finish(ctx, end);
    })();
  },
};

const ORDER: ResultStatus[] = ["Skipped", "Success", "SuccessAndReboot", "PassedAndReboot", "NotStarted", "InProgress", "Failed", "Cancelled", "TimedOut"];

function worse(a: ResultStatus, b: ResultStatus): ResultStatus {
  return ORDER.indexOf(b) > ORDER.indexOf(a) ? b : a;
}

async function runOne(ctx: StepContext, raw: unknown, dir: string): Promise<PluginResult> {
  const input = readInput(raw);
  if (ctx.inlineExecution) {
    const inline = runInline(input.lines);
    if (inline) {
      ctx.stdout.feed(inline.stdout);
      const end: ProcessEnd = { kind: "exited", exitCode: inline.exitCode };
      return finish(ctx, end);
    }
  }
  let proc: StepProcess;
  try {
    proc = StepProcess.start({
      dir,
      script: `${input.lines.join("\n")}\n`,
      cwd: workingDir(ctx, input.workingDirectory),
      env: { ...process.env, ...input.environment, ...ctx.env },
      timeoutMs: input.timeoutSeconds * 1000,
    });
  } catch (e) {
    appendError(ctx, `failed to run commands: ${(e as Error).message}`);
    return { status: "Failed", code: 1 };
  }
  ctx.state.process = { ...proc.ref, dir };
  ctx.stdout.nextFile();
  ctx.stderr.nextFile();
  ctx.persist();
  const end = await follow(ctx, proc);
  return finish(ctx, end);
}

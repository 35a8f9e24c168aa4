import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDir } from "../identity/identity-store.js";

/**
 * A step's shell process, run so that it outlives the agent: detached into its own process group,
 * stdout and stderr written to files in the step's orchestration directory, and its exit code
 * written to a file by a small wrapper shell. A restarted agent reattaches by pid (checked against
 * the process start time), reads the files, and sees the exit code when the script ends. Cancelling
 * and timing out kill the whole process group.
 */

/** What is persisted to find the process again. */
export interface ProcessRef {
  pid: number;
  /** /proc/<pid>/stat start time (Linux), to tell a reused pid from ours. */
  startTicks?: string;
  startedAt: number;
  /** epoch ms after which the step times out */
  deadline: number;
}

export type ProcessEnd =
  | { kind: "exited"; exitCode: number }
  | { kind: "timeout" }
  | { kind: "cancelled" }
  /** The process is gone and left no exit code (killed with the agent, or by someone else). */
  | { kind: "lost"; signal?: string };

export const STDOUT_FILE = "stdout";
export const STDERR_FILE = "stderr";
const EXIT_FILE = "exitcode";
const SCRIPT_FILE = "_script.sh";

// $1: the script, $2: the exit-code file. The script runs as a file so that its #! line is honoured.
const WRAPPER = 'chmod 700 "$1" 2>/dev/null; "$1"; c=$?; printf %s "$c" > "$2.tmp" && mv "$2.tmp" "$2"; exit $c';

function procStartTicks(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

/** Whether the process of `ref` still runs (not a zombie, not a reused pid). */
export function isAlive(ref: ProcessRef): boolean {
  try {
    process.kill(ref.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  const state = procState(ref.pid);
  if (state === "Z" || state === "X") return false;
  if (ref.startTicks && state !== undefined) return procStartTicks(ref.pid) === ref.startTicks;
  return true;
}

function readExitCode(dir: string): number | undefined {
  try {
    const t = readFileSync(join(dir, EXIT_FILE), "utf8").trim();
    return t === "" ? undefined : Number(t);
  } catch {
    return undefined;
  }
}

export interface StartOptions {
  dir: string;
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  shell?: string;
}

export class StepProcess {
  private end?: Promise<ProcessEnd>;
  private killedFor?: "timeout" | "cancelled";
  private timer?: NodeJS.Timeout;
  private watch?: NodeJS.Timeout;
  private child?: ChildProcess;

  private constructor(
    readonly dir: string,
    readonly ref: ProcessRef,
  ) {}

  get stdoutPath(): string {
    return join(this.dir, STDOUT_FILE);
  }

  get stderrPath(): string {
    return join(this.dir, STDERR_FILE);
  }

  /** Writes the script and starts it. Throws when the shell cannot be started. */
  static start(opts: StartOptions): StepProcess {
    ensureDir(opts.dir);
    const scriptPath = join(opts.dir, SCRIPT_FILE);
    const exitPath = join(opts.dir, EXIT_FILE);
    rmSync(exitPath, { force: true });
    writeFileSync(scriptPath, opts.script, { mode: 0o700 });
    const out = openSync(join(opts.dir, STDOUT_FILE), "w", 0o600);
    const err = openSync(join(opts.dir, STDERR_FILE), "w", 0o600);
    let child: ChildProcess;
    try {
      child = spawn(opts.shell ?? "/bin/sh", ["-c", WRAPPER, "openssm-step", scriptPath, exitPath], {
        cwd: opts.cwd,
        env: opts.env,
        detached: true,
        stdio: ["ignore", out, err],
      });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    if (child.pid === undefined) throw new Error(`could not start ${opts.shell ?? "/bin/sh"} in ${opts.cwd}`);
    const now = Date.now();
    const p = new StepProcess(opts.dir, { pid: child.pid, startTicks: procStartTicks(child.pid), startedAt: now, deadline: now + opts.timeoutMs });
    p.child = child;
    const exited = new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
    p.end = exited.then(() => p.conclude());
    p.armTimeout();
    return p;
  }

  /** Finds a step process started by an earlier agent run. */
  static reattach(dir: string, ref: ProcessRef): StepProcess {
    const p = new StepProcess(dir, ref);
    p.end = new Promise<ProcessEnd>((resolve) => {
      const check = () => {
        if (readExitCode(dir) !== undefined || !isAlive(ref)) {
          if (p.watch) clearInterval(p.watch);
          resolve(p.conclude());
        }
      };
      p.watch = setInterval(check, 200);
      check();
    });
    p.armTimeout();
    return p;
  }

  private armTimeout(): void {
    const left = this.ref.deadline - Date.now();
    const fire = () => this.kill("timeout");
    if (left <= 0) setImmediate(fire);
    else this.timer = setTimeout(fire, Math.min(left, 2 ** 31 - 1));
  }

  private conclude(): ProcessEnd {
    if (this.timer) clearTimeout(this.timer);
    if (this.killedFor) return { kind: this.killedFor };
    const code = readExitCode(this.dir);
    if (code !== undefined && Number.isFinite(code)) return { kind: "exited", exitCode: code };
    return { kind: "lost", signal: this.child?.signalCode ?? undefined };
  }

  wait(): Promise<ProcessEnd> {
    return this.end as Promise<ProcessEnd>;
  }

  /** Kills the process group (the script and everything it started in its group). */
  kill(reason: "timeout" | "cancelled"): void {
    if (this.killedFor || readExitCode(this.dir) !== undefined) return;
    this.killedFor = reason;
    try {
      process.kill(-this.ref.pid, "SIGKILL");
    } catch {
      try {
        process.kill(this.ref.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  static exitCodeFileExists(dir: string): boolean {
    return existsSync(join(dir, EXIT_FILE));
  }
}

import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createAccessKey, deleteAccessKey } from "../../../iam/principals.js";
import type { ServerSlot } from "../../../runtime.js";
import { type Action, type ActionRun, str } from "./types.js";

/**
 * aws:executeScript with Runtime python3.x: the script runs in its own python3 process, never in the
 * server's: a time limit (the step's timeoutSeconds, 600 s at most; the process is killed at it), an
 * address-space limit (OPENSSM_AUTOMATION_SCRIPT_MEMORY_MB, 512 MB by default), a fresh temporary
 * directory as HOME and working directory, and an environment holding nothing of the server's: only
 * PATH, a locale, and temporary credentials of the execution's identity (valid until the time limit,
 * deleted when the script ends) with the server's endpoint, so boto3 calls openssm as the execution.
 * PowerShell is refused: openssm runs no PowerShell on the server.
 */

const RUNNER = fileURLToPath(new URL("../script/runner.py", import.meta.url));
const OUTPUT_LIMIT = 64 * 1024;

function memoryMb(): number {
  const v = Number(process.env.OPENSSM_AUTOMATION_SCRIPT_MEMORY_MB ?? 512);
  return Number.isFinite(v) && v >= 64 ? v : 512;
}

interface ScriptResult {
  payload?: unknown;
  error?: string;
  trace?: string;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  exitCode: number | null;
}

/**
 * The python3 interpreter itself (sys.executable of `python3` on the server's PATH, or OPENSSM_PYTHON),
 * found once: scripts run it by its path with an environment that holds no PATH of the server's.
 */
const PYTHON: ServerSlot<{ path?: Promise<string> }> = { name: "automation.python", create: () => ({}) };

function findPython(): Promise<string> {
  const candidate = process.env.OPENSSM_PYTHON ?? "python3";
  return new Promise((resolve) => {
    execFile(candidate, ["-c", "import sys; print(sys.executable)"], { timeout: 10_000 }, (err, stdout) =>
      resolve(err ? candidate : stdout.trim() || candidate),
    );
  });
}

function runPython(python: string, spec: Record<string, unknown>, env: Record<string, string>, cwd: string, timeoutMs: number): Promise<ScriptResult> {
  return new Promise((resolve) => {
    const child = spawn(python, ["-I", RUNNER], { cwd, env, stdio: ["pipe", "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let result = "";
    let timedOut = false;
    const cap = (s: string, d: Buffer) => (s.length < OUTPUT_LIMIT ? s + d.toString("utf8") : s);
    child.stdout?.on("data", (d: Buffer) => (stdout = cap(stdout, d)));
    child.stderr?.on("data", (d: Buffer) => (stderr = cap(stderr, d)));
    (child.stdio[3] as NodeJS.ReadableStream).on("data", (d: Buffer) => (result += d.toString("utf8")));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      resolve({ error: `python3 could not be started: ${err.message}`, stdout, stderr, timedOut, exitCode: null });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      let parsed: { payload?: unknown; error?: string; trace?: string } = {};
      try {
        parsed = result ? JSON.parse(result) : {};
      } catch {
        parsed = { error: "the script's result is not JSON" };
      }
      resolve({ ...parsed, stdout: stdout.slice(0, OUTPUT_LIMIT), stderr: stderr.slice(0, OUTPUT_LIMIT), timedOut, exitCode: code });
    });
    child.stdin?.end(JSON.stringify(spec));
  });
}

export function scriptTimeoutSeconds(r: ActionRun): number {
  return Math.min(600, r.def.timeoutSeconds ?? 600);
}

export const executeScriptAction: Action = {
  async run(r) {
    const runtime = str(r.inputs.Runtime);
    if (!/^python3(\.\d+)?$/.test(runtime)) {
      return {
        kind: "failed",
        message: `Runtime ${runtime} is not supported: openssm runs aws:executeScript with python3 (Runtime python3.8 ... python3.12), not PowerShell.`,
      };
    }
    if (r.inputs.Script === undefined) {
      return { kind: "failed", message: "openssm runs inline scripts only: give the script in Script (Attachment is not supported)." };
    }
    const handler = str(r.inputs.Handler).replace(/^.*\./, "");
    const timeoutMs = scriptTimeoutSeconds(r) * 1000;
    const work = mkdtempSync(join(tmpdir(), "openssm-script-"));
    const sessionToken = randomBytes(32).toString("base64url");
    const key = await createAccessKey(r.services.db, r.services.masterKey, r.identity.principal.arn, r.now, {
      sessionToken,
      expiresAt: r.now + timeoutMs + 60_000,
    });
    try {
      const env: Record<string, string> = {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        LANG: "C.UTF-8",
        HOME: work,
        PYTHONDONTWRITEBYTECODE: "1",
        AWS_ACCESS_KEY_ID: key.accessKeyId,
        AWS_SECRET_ACCESS_KEY: key.secretAccessKey,
        AWS_SESSION_TOKEN: sessionToken,
        AWS_REGION: r.scope.region,
        AWS_DEFAULT_REGION: r.scope.region,
        AWS_ENDPOINT_URL: `http://127.0.0.1:${r.services.listening.port ?? 4510}`,
        AWS_EC2_METADATA_DISABLED: "true",
      };
      const pyPath = process.env.OPENSSM_AUTOMATION_PYTHONPATH;
      if (pyPath) env.PYTHONPATH = pyPath;
      const slot = r.services.own(PYTHON);
      slot.path ??= findPython();
      const res = await runPython(
        await slot.path,
        {
          script: str(r.inputs.Script),
          handler,
          events: r.inputs.InputPayload ?? {},
          context: { "automation:EXECUTION_ID": r.exec.execution_id, "global:ACCOUNT_ID": r.scope.accountId, "global:REGION": r.scope.region },
          memoryMb: memoryMb(),
        },
        env,
        work,
        timeoutMs,
      );
      const outputs = { OutputPayload: JSON.stringify({ Payload: res.payload ?? null }), Stdout: res.stdout };
      if (res.timedOut)
        return { kind: "failed", status: "TimedOut", message: `The script ran longer than its ${timeoutMs / 1000} s limit and was stopped.`, outputs };
      if (res.error) return { kind: "failed", message: `The script failed: ${res.error}${res.stderr ? `\n${res.stderr.slice(-2000)}` : ""}`, outputs };
      if (res.exitCode !== 0) return { kind: "failed", message: `python3 exited with ${res.exitCode}: ${res.stderr.slice(-2000)}`, outputs };
      return { kind: "success", outputs, response: { Payload: res.payload ?? null } };
    } finally {
      await deleteAccessKey(r.services.db, key.accessKeyId);
      rmSync(work, { recursive: true, force: true });
    }
  },
};

import { spawn } from "node:child_process";
import type { Credentials, TestServer } from "./server.js";

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON, when it is JSON */
  json?: any;
}

/** Runs a command to its end, collecting its output (stdout parsed as JSON when it is JSON). */
export function runProcess(cmd: string, args: string[], env: Record<string, string>, input?: string, timeoutMs = 60_000, cwd?: string): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"], cwd });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} timed out`));
    }, timeoutMs);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = stdout.trim() ? JSON.parse(stdout) : undefined;
      } catch {
        json = undefined;
      }
      resolve({ code: code ?? -1, stdout, stderr, json });
    });
    child.stdin.end(input ?? "");
  });
}

function credentialEnv(creds: Credentials, region: string): Record<string, string> {
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_DEFAULT_REGION: region,
    AWS_REGION: region,
    AWS_PAGER: "",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
  };
  if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
  return env;
}

/** The aws CLI v2 (Debian's /usr/bin/aws) against the test server: `awsCli(server, ["ssm", "get-parameter", ...])`. */
export function awsCli(server: TestServer, args: string[], opts: { creds?: Credentials; region?: string; cwd?: string } = {}): Promise<ProcessResult> {
  const region = opts.region ?? server.region;
  return runProcess(
    process.env.OPENSSM_TEST_AWS_CLI ?? "/usr/bin/aws",
    [...args, "--endpoint-url", server.endpoint, "--output", "json"],
    credentialEnv(opts.creds ?? server.admin, region),
  );
}

/**
 * A Python (boto3) snippet against the test server. The snippet sees `ssm` and `kms` clients and
 * `json`; whatever it prints is returned. Errors: catch botocore.exceptions.ClientError and print
 * e.response['Error']['Code'].
 */
export function boto3(server: TestServer, code: string, opts: { creds?: Credentials; region?: string } = {}): Promise<ProcessResult> {
  const region = opts.region ?? server.region;
  const prelude = [
    "import json, boto3, botocore",
    "from botocore.exceptions import ClientError",
    "from botocore.config import Config",
    `_cfg = Config(retries={'max_attempts': 1})`,
    `ssm = boto3.client('ssm', endpoint_url=${JSON.stringify(server.endpoint)}, region_name=${JSON.stringify(region)}, config=_cfg)`,
    `kms = boto3.client('kms', endpoint_url=${JSON.stringify(server.endpoint)}, region_name=${JSON.stringify(region)}, config=_cfg)`,
    "",
  ].join("\n");
  return runProcess(process.env.OPENSSM_TEST_PYTHON ?? "python3", ["-c", prelude + code], credentialEnv(opts.creds ?? server.admin, region));
}

/** Polls `check` until it returns a truthy value or the deadline passes (never a blind sleep). */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string | (() => string) } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      const what = typeof opts.what === "function" ? opts.what() : (opts.what ?? "condition");
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** `eventually` with the subject first, as the session tests read: until(what, check, timeoutMs, intervalMs). */
export const until = <T>(what: string | (() => string), check: () => Promise<T> | T, timeoutMs = 30_000, intervalMs = 100) =>
  eventually(check, { what, timeoutMs, intervalMs });

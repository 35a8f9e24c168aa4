import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateActivationCommand, GetConnectionStatusCommand } from "@aws-sdk/client-ssm";
import type { IPty } from "node-pty";
import { until } from "../harness/clients.js";
import type { Credentials, TestServer } from "../harness/index.js";
import { repoRoot, tsxArgs } from "../harness/paths.js";

export { until };

/** `p`, or a failure after `ms` (no test waits forever for a process to exit). */
export function within<T>(p: Promise<T>, what: string, ms = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/** A real `openssm-agent` process, registered with a hybrid activation and connected over MGS. */
export interface AgentNode {
  instanceId: string;
  /** The agent's identity and key (kept across restart()). */
  dataDir: string;
  process: ChildProcess;
  output(): string;
  /** Stops the agent process and starts it again on the same identity; resolves once it is connected. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function runToEnd(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

export async function startAgent(server: TestServer, tags: { Key: string; Value: string }[] = []): Promise<AgentNode> {
  const ssm = server.ssm();
  const act = await ssm.send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: 1, Tags: tags.length ? tags : undefined }));
  const dataDir = mkdtempSync(join(tmpdir(), "openssm-agent-test-"));
  const main = join(repoRoot, "packages/agent/src/main.ts");
  const reg = await runToEnd([
    ...tsxArgs(),
    main,
    "register",
    "--code",
    String(act.ActivationCode),
    "--id",
    String(act.ActivationId),
    "--endpoint",
    server.endpoint,
    "--tls-endpoint",
    server.tlsEndpoint,
    "--ca-file",
    server.caFile,
    "--data-dir",
    dataDir,
    "--name",
    "session-test-node",
  ]);
  const instanceId = /registered (mi-[0-9a-f]{17})/.exec(reg.out)?.[1];
  if (reg.code !== 0 || !instanceId) throw new Error(`openssm-agent register failed (${reg.code}): ${reg.out}`);
  let child!: ChildProcess;
  let log = "";
  const launch = () => {
    child = spawn(process.execPath, [...tsxArgs(), main, "run", "--data-dir", dataDir, "--transport", "mgs", "--log-level", "debug"], {
      cwd: repoRoot,
      env: { ...process.env, OPENSSM_AGENT_LOG_LEVEL: "debug" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (d) => (log += d));
    child.stderr?.on("data", (d) => (log += d));
  };
  const halt = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    }
  };
  const connected = () =>
    until(
      "the agent's control channel",
      async () => (await ssm.send(new GetConnectionStatusCommand({ Target: instanceId }))).Status === "connected",
      60_000,
      200,
    );
  launch();
  const node: AgentNode = {
    instanceId,
    dataDir,
    get process() {
      return child;
    },
    output: () => log,
    async restart() {
      await halt();
      await until(
        "the node to show disconnected",
        async () => (await ssm.send(new GetConnectionStatusCommand({ Target: instanceId }))).Status === "notconnected",
      );
      launch();
      await connected();
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await connected();
  } catch (e) {
    await node.stop();
    throw new Error(`${(e as Error).message}\nagent log:\n${log}`);
  }
  return node;
}

/** Environment that makes `openssm session ...` call the test server as `creds`. */
export function cliEnv(server: TestServer, creds: Credentials): Record<string, string> {
  const env: Record<string, string> = {
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    AWS_REGION: server.region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    OPENSSM_ENDPOINT: server.endpoint,
  };
  if (creds.sessionToken) env.AWS_SESSION_TOKEN = creds.sessionToken;
  return env;
}

/** `openssm <args>` in a pseudo-terminal, as a person would run it. */
export interface PtyRun {
  pty: IPty;
  output(): string;
  exited: Promise<number>;
  /** Waits until the output (ANSI sequences removed) matches. */
  waitFor(pattern: RegExp | string, ms?: number): Promise<string>;
  kill(): void;
}

const ESC = String.fromCharCode(27);
const BEL = String.fromCharCode(7);
const CSI = new RegExp(`${ESC}\\[[0-9;?]*[ -/]*[@-~]`, "g");
const OSC = new RegExp(`${ESC}\\][^${BEL}]*${BEL}`, "g");

/** Terminal output without its escape sequences (colours, cursor moves, titles). */
export const stripAnsi = (s: string) => s.replace(CSI, "").replace(OSC, "");

/** The `openssm` command as installed (bin/openssm.js), for tests of how users run it. */
export const OPENSSM_BIN = join(repoRoot, "packages/cli/bin/openssm.js");

/**
 * `env` is added to this process's environment; a name set to undefined is left out.
 * `opts.cwd`: where to run (default the checkout); `opts.bin`: run bin/openssm.js rather than the sources.
 */
export async function cliInPty(
  args: string[],
  env: Record<string, string | undefined>,
  size = { cols: 100, rows: 30 },
  opts: { cwd?: string; bin?: boolean } = {},
): Promise<PtyRun> {
  const pty = await import("node-pty");
  const merged = Object.fromEntries(Object.entries({ ...process.env, ...env }).filter((e): e is [string, string] => e[1] !== undefined));
  const entry = opts.bin ? [OPENSSM_BIN] : [...tsxArgs(), join(repoRoot, "packages/cli/src/main.ts")];
  const p = pty.spawn(process.execPath, [...entry, ...args], {
    name: "xterm-256color",
    cols: size.cols,
    rows: size.rows,
    cwd: opts.cwd ?? repoRoot,
    env: merged,
  });
  let out = "";
  p.onData((d) => {
    out += d;
  });
  const exited = new Promise<number>((r) => p.onExit(({ exitCode }) => r(exitCode)));
  return {
    pty: p,
    output: () => out,
    exited,
    waitFor: (pattern, ms = 30_000) =>
      until(
        // The terminal's output when the wait gave up, not when it began.
        () => `${String(pattern)} in the terminal (got: ${JSON.stringify(stripAnsi(out).slice(-400))})`,
        () => {
          const text = stripAnsi(out);
          return typeof pattern === "string" ? (text.includes(pattern) ? text : "") : pattern.test(text) ? text : "";
        },
        ms,
        50,
      ),
    kill: () => {
      try {
        p.kill("SIGKILL");
      } catch {
        // already gone
      }
    },
  };
}

const STARTED = /Starting session with SessionId: (\S+)/;

/** Waits for `openssm session start` to print its session id, and returns it. */
export async function sessionIdOf(run: PtyRun): Promise<string> {
  return STARTED.exec(await run.waitFor(STARTED))?.[1] as string;
}

/** `openssm <args>` with pipes (port-forward, log). */
export function cli(args: string[], env: Record<string, string>): { child: ChildProcess; output(): string; exited: Promise<number> } {
  const child = spawn(process.execPath, [...tsxArgs(), join(repoRoot, "packages/cli/src/main.ts"), ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.on("data", (d) => (out += d));
  child.stderr?.on("data", (d) => (out += d));
  const exited = new Promise<number>((r) => child.once("exit", (code) => r(code ?? -1)));
  return { child, output: () => out, exited };
}

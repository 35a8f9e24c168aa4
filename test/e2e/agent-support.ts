import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CommandInvocation,
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  ListCommandInvocationsCommand,
} from "@aws-sdk/client-ssm";
import { signHmac } from "@openssm/protocol";
import { awsCli, eventually, type TestServer } from "../harness/index.js";
import { repoRoot } from "../harness/paths.js";

/** Real `openssm-agent` processes for the agent e2e tests (bin/openssm-agent.js, as users run it). */
export const AGENT_BIN = join(repoRoot, "packages/agent/bin/openssm-agent.js");

export interface Activation {
  code: string;
  id: string;
}

/** CreateActivation through the aws CLI v2. */
export async function createActivation(server: TestServer, limit = 10): Promise<Activation> {
  const r = await awsCli(server, [
    "ssm",
    "create-activation",
    "--iam-role",
    "SSMServiceRole",
    "--registration-limit",
    String(limit),
    "--default-instance-name",
    "e2e",
  ]);
  if (r.code !== 0) throw new Error(`create-activation failed: ${r.stderr}`);
  return { code: r.json.ActivationCode, id: r.json.ActivationId };
}

function runBin(args: string[], timeoutMs = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [AGENT_BIN, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`openssm-agent ${args[0]} timed out`));
    }, timeoutMs);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** `openssm-agent register` into a fresh data dir. */
export async function registerAgent(
  server: TestServer,
  act: Activation,
  opts: { name?: string; dataDir?: string; tls?: boolean } = {},
): Promise<{ dataDir: string; instanceId: string; stdout: string }> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "openssm-agent-e2e-"));
  const args = ["register", "--code", act.code, "--id", act.id, "--region", server.region, "--endpoint", server.endpoint, "--data-dir", dataDir];
  if (opts.tls !== false) args.push("--tls-endpoint", server.tlsEndpoint, "--ca-file", server.caFile);
  if (opts.name) args.push("--name", opts.name);
  const r = await runBin(args);
  if (r.code !== 0) throw new Error(`openssm-agent register failed (${r.code}): ${r.stderr}`);
  const m = /registered (mi-[0-9a-f]{17})/.exec(r.stdout);
  if (!m) throw new Error(`unexpected register output: ${r.stdout}`);
  return { dataDir, instanceId: m[1], stdout: r.stdout };
}

export { runBin as runAgentBin };

/** A running `openssm-agent run`. */
export class AgentProcess {
  child!: ChildProcess;
  private out = "";

  constructor(
    readonly dataDir: string,
    readonly instanceId: string,
    readonly transport: "mgs" | "poll" | "auto",
    readonly extraArgs: string[] = [],
  ) {}

  start(): this {
    const args = [
      AGENT_BIN,
      "run",
      "--data-dir",
      this.dataDir,
      "--transport",
      this.transport,
      "--output-interval",
      "300",
      "--log-level",
      "info",
      ...this.extraArgs,
    ];
    this.child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout?.on("data", (d) => (this.out += d));
    this.child.stderr?.on("data", (d) => (this.out += d));
    running.add(this);
    return this;
  }

  get pid(): number {
    return this.child.pid as number;
  }

  /** Everything the agent logged so far. */
  log(): string {
    return this.out;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private waitExit(): Promise<void> {
    return new Promise((r) => (this.exited ? r() : this.child.once("exit", () => r())));
  }

  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    if (!this.exited) {
      this.child.kill(signal);
      await this.waitExit();
    }
    running.delete(this);
  }

  async stop(): Promise<void> {
    await this.kill("SIGTERM");
  }

  /** Waits until the agent logged its control channel (mgs/auto) or its first successful poll cycle. */
  async ready(): Promise<void> {
    await eventually(async () => (this.transport === "poll" ? this.out.includes("openssm-agent running") : this.out.includes("control channel connected")), {
      timeoutMs: 30_000,
      what: `agent ${this.instanceId} ready (${this.transport}); log:\n${this.out}`,
    });
  }
}

const running = new Set<AgentProcess>();

/** Kills every agent a test file started and removes their data dirs. */
export async function stopAllAgents(dirs: string[] = []): Promise<void> {
  await Promise.all([...running].map((a) => a.kill("SIGKILL")));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

process.on("exit", () => {
  for (const a of running) if (!a.exited) a.child.kill("SIGKILL");
});

/** Registers and starts an agent; resolves once it is connected. */
export async function launchAgent(
  server: TestServer,
  act: Activation,
  transport: "mgs" | "poll" | "auto",
  opts: { name?: string; args?: string[] } = {},
): Promise<AgentProcess> {
  const r = await registerAgent(server, act, { name: opts.name });
  const agent = new AgentProcess(r.dataDir, r.instanceId, transport, opts.args).start();
  await agent.ready();
  return agent;
}

const FINAL = new Set(["Success", "Failed", "Cancelled", "TimedOut", "DeliveryTimedOut", "ExecutionTimedOut", "Undeliverable", "Terminated"]);

/** Polls GetCommandInvocation until the invocation is in a final state (or `until` says so). */
export async function invocationDone(
  server: TestServer,
  commandId: string,
  instanceId: string,
  opts: { timeoutMs?: number; until?: (i: GetCommandInvocationCommandOutput) => boolean } = {},
): Promise<GetCommandInvocationCommandOutput> {
  const ssm = server.ssm();
  return eventually(
    async () => {
      const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
      return (opts.until ? opts.until(inv) : FINAL.has(inv.StatusDetails ?? "")) ? inv : undefined;
    },
    { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 200, what: `invocation ${commandId} on ${instanceId}` },
  );
}

/** Polls ListCommandInvocations --details until every invocation of the command is final. */
export async function invocationsDone(server: TestServer, commandId: string, timeoutMs = 30_000): Promise<CommandInvocation[]> {
  const ssm = server.ssm();
  return eventually(
    async () => {
      const r = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
      const all = r.CommandInvocations ?? [];
      return all.length > 0 && all.every((i) => FINAL.has(i.StatusDetails ?? "")) ? all : undefined;
    },
    { timeoutMs, intervalMs: 200, what: `invocations of ${commandId}` },
  );
}

/** GET a StandardOutputUrl / StandardErrorUrl signed with the admin's keys (the whole text). */
export async function fetchOutput(server: TestServer, url: string): Promise<string> {
  const u = new URL(url);
  const req = { method: "GET", url: u, headers: {} as Record<string, string>, body: "" };
  signHmac(req, { region: server.region, service: "ssm" }, server.admin);
  const { host, ...headers } = req.headers;
  void host;
  const res = await fetch(u, { headers });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  return res.text();
}

/** Whether a process id is alive (a zombie is not). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateActivationCommand, DescribeInstanceInformationCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../test/harness/server.js";
import { repoRoot } from "../test/harness/paths.js";
import { machine, writeSection } from "./results.js";

/**
 * The agent's footprint as a node sees it: the size of what packages/agent/install.sh installs
 * (beside Node.js), and the RSS and CPU of that installed `openssm-agent run` while idle with its
 * MGS control channel open. amazon-ssm-agent is not built on this machine: its figures are the ones
 * measured side by side on one machine in issue 14.
 * Environment: BENCH_AGENT_IDLE_SECONDS (30).
 */
const IDLE_SECONDS = Number(process.env.BENCH_AGENT_IDLE_SECONDS ?? 30);
const AWS_AGENT = { rssMiB: 42.9, note: "core and worker together, idle with its control channel open (issue 14)" };
const BEFORE = { rssMiB: 61.6, installMiB: 64.8 };
/** This machine, `npx tsx bench/run.ts agent-footprint` before issue 14 part 7's memory work (ES module bundle, pino, ws, public roots parsed, toISOString). */
const BEFORE_PART7 = { rssMiB: 50.8, maxMiB: 52.8, when: "2026-12-03" };

function treeBytes(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, e) => n + treeBytes(join(path, e)), 0);
}

function vmRssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]);
}

/** The agent's process and every process under it (it runs none at idle; counted if it did). */
function tree(pid: number): number[] {
  const out = [pid];
  for (const p of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) out.push(...tree(Number(p)));
    } catch {
      // gone
    }
  }
  return out;
}

/** RSS of a Node.js process that loads nothing (the floor under any agent written for Node.js). */
async function bareNodeRssMiB(): Promise<number> {
  const bare = spawn(process.execPath, ["-e", "setTimeout(() => {}, 4000)"], { stdio: "ignore" });
  await new Promise((r) => setTimeout(r, 2_000));
  const kib = vmRssKiB(bare.pid as number);
  bare.kill();
  return kib / 1024;
}

/**
 * RSS of a Node.js process that does nothing but hold one HTTPS keep-alive connection to the server's
 * TLS listener (the floor under any agent written for Node.js that talks to the server over TLS).
 */
async function tlsNodeRssMiB(server: TestServer): Promise<number> {
  const code = [
    'const https = require("node:https"), fs = require("node:fs");',
    "const agent = new https.Agent({ keepAlive: true, ca: fs.readFileSync(process.argv[2]) });",
    "https.get(process.argv[1] + '/', { agent }, (res) => res.resume()).on('error', (e) => { console.error(e.message); process.exit(1); });",
    "setTimeout(() => {}, 10000);",
  ].join("\n");
  const probe = spawn(process.execPath, ["-e", code, server.tlsEndpoint, server.caFile], { stdio: "ignore", env: { ...process.env, MALLOC_ARENA_MAX: "1" } });
  await new Promise((r) => setTimeout(r, 3_000));
  const kib = vmRssKiB(probe.pid as number);
  probe.kill();
  return kib / 1024;
}

export interface AgentFootprint {
  bareNodeMiB: number;
  /** Node.js holding one HTTPS connection to the server, nothing else. */
  tlsNodeMiB: number;
  installBytes: number;
  rssMiB: { mean: number; max: number };
  cpuPercent: number;
  processes: number;
}

async function online(server: TestServer, dataDir: string): Promise<boolean> {
  const id = JSON.parse(readFileSync(join(dataDir, "identity.json"), "utf8")).instanceId as string;
  const ssm = server.ssm();
  try {
    const r = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [id] }] }));
    const i = r.InstanceInformationList?.[0];
    return i?.PingStatus === "Online";
  } finally {
    ssm.destroy();
  }
}

export async function measureAgentFootprint(): Promise<AgentFootprint> {
  const dir = mkdtempSync(join(tmpdir(), "bench-agent-install-"));
  const prefix = join(dir, "opt");
  const bin = join(dir, "bin");
  const data = join(dir, "data");
  execFileSync("sh", [join(repoRoot, "packages/agent/install.sh"), "--prefix", prefix, "--bin-dir", bin, "--data-dir", data, "--no-service"], {
    stdio: "ignore",
  });
  const installBytes = treeBytes(prefix);
  const server = await startServer({ engine: "sqlite", env: { OPENSSM_LOG_LEVEL: "warn" } });
  try {
    const ssm = server.ssm();
    const act = await ssm.send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: 1 }));
    ssm.destroy();
    const agentBin = join(bin, "openssm-agent");
    execFileSync(agentBin, [
      "register",
      "--code",
      act.ActivationCode as string,
      "--id",
      act.ActivationId as string,
      "--endpoint",
      server.endpoint,
      "--tls-endpoint",
      server.tlsEndpoint,
      "--ca-file",
      server.caFile,
      "--data-dir",
      data,
    ]);
    // The installed command line, as the systemd unit runs it (the wrapper execs node).
    const agent = spawn(agentBin, ["run", "--data-dir", data, "--transport", "mgs", "--log-level", "warn"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    agent.stderr?.on("data", (d) => (log += d));
    try {
      const deadline = Date.now() + 60_000;
      while (!(await online(server, data))) {
        if (Date.now() > deadline) throw new Error(`the agent did not come online:\n${log}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      await new Promise((r) => setTimeout(r, 5_000)); // settle after start-up
      const pid = agent.pid as number;
      const pids = () => tree(pid);
      const t0 = pids().reduce((n, p) => n + cpuTicks(p), 0);
      const rss: number[] = [];
      let processes = 1;
      for (let s = 0; s < IDLE_SECONDS; s++) {
        await new Promise((r) => setTimeout(r, 1_000));
        const all = pids();
        processes = all.length;
        rss.push(all.reduce((n, p) => n + vmRssKiB(p), 0));
      }
      const t1 = pids().reduce((n, p) => n + cpuTicks(p), 0);
      return {
        bareNodeMiB: await bareNodeRssMiB(),
        tlsNodeMiB: await tlsNodeRssMiB(server),
        installBytes,
        rssMiB: { mean: rss.reduce((a, b) => a + b, 0) / rss.length / 1024, max: Math.max(...rss) / 1024 },
        cpuPercent: ((t1 - t0) / 100 / IDLE_SECONDS) * 100,
        processes,
      };
    } finally {
      agent.kill("SIGTERM");
      await new Promise((r) => agent.once("exit", r));
    }
  } finally {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

export async function benchAgentFootprint(opts: { record?: boolean } = {}): Promise<string> {
  const f = await measureAgentFootprint();
  const lines = [
    "## The agent's footprint",
    "",
    `${machine()}. The agent installed by \`packages/agent/install.sh\` into a throw-away prefix and run as its unit runs it (\`openssm-agent run\`, MGS control channel open, nothing to do); RSS is VmRSS of its process${f.processes > 1 ? "es" : ""} sampled every second for ${IDLE_SECONDS} s after a 5 s settle.`,
    "",
    `| | openssm-agent (now) | openssm-agent (${BEFORE_PART7.when}, before part 7's memory work) | openssm-agent (issue 14, before) | amazon-ssm-agent (issue 14; not built here) | target |`,
    "|---|---:|---:|---:|---:|---:|",
    `| install beside Node.js | ${mib(f.installBytes)} MiB | 0.59 MiB | ${BEFORE.installMiB} MiB | n/a | < 10 MiB |`,
    `| idle RSS, mean | ${f.rssMiB.mean.toFixed(1)} MiB | ${BEFORE_PART7.rssMiB} MiB | ${BEFORE.rssMiB} MiB | ${AWS_AGENT.rssMiB} MiB (${AWS_AGENT.note}) | ≤ ${AWS_AGENT.rssMiB} MiB |`,
    `| idle RSS, max | ${f.rssMiB.max.toFixed(1)} MiB | ${BEFORE_PART7.maxMiB} MiB | | | |`,
    `| idle CPU, mean | ${f.cpuPercent.toFixed(3)} % of one core | | almost none | almost none | |`,
    "",
    `For scale, on this machine: Node.js itself, running an empty script, is ${f.bareNodeMiB.toFixed(1)} MiB RSS; a Node.js that only holds one HTTPS connection to the server's TLS listener (node:https, TLS and crypto loaded; no agent code) is ${f.tlsNodeMiB.toFixed(1)} MiB. The agent uses ${(f.rssMiB.mean - f.bareNodeMiB).toFixed(1)} MiB above an empty Node.js and ${(f.rssMiB.mean - f.tlsNodeMiB).toFixed(1)} MiB above the HTTPS floor; the target leaves ${(AWS_AGENT.rssMiB - f.bareNodeMiB).toFixed(1)} MiB above an empty Node.js${f.tlsNodeMiB > AWS_AGENT.rssMiB ? ", less than Node.js's own HTTPS and TLS take, so on Node.js it is out of reach on this machine" : ""}.`,
  ];
  const table = lines.join("\n");
  if (opts.record) writeSection("agent-footprint", table);
  process.stdout.write(`${table}\n`);
  return table;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchAgentFootprint({ record: process.argv.includes("--record") })
    .then(() => process.exit(0))
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    });
}

import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { CreateActivationCommand, DescribeInstanceInformationCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../test/harness/server.js";
import { repoRoot } from "../test/harness/paths.js";
import { sampleProcess } from "./proc.js";
import { machine, writeSection } from "./results.js";

/**
 * The agent's footprint as a node sees it: the size of what packages/agent/install.sh installs
 * (beside Node.js), and the RSS and CPU of that installed `openssm-agent run` while idle with its
 * MGS control channel open. amazon-ssm-agent's figures are the ones measured side by side on one
 * machine in issue 14, unless it is built on this machine: BENCH_AMAZON_SSM_AGENT_DIR names a
 * directory with AWS's unmodified amazon-ssm-agent, ssm-agent-worker and ssm-session-worker (built
 * from github.com/aws/amazon-ssm-agent: `go build -o DIR/amazon-ssm-agent ./core`, `./agent` and
 * `./agent/framework/processor/executer/outofproc/sessionworker`). Then the bench, as root, registers
 * it with the same server (its registration goes to /var/lib/amazon/ssm, which must not exist yet,
 * and is removed afterwards; its configuration is written beside links to the binaries in a
 * throw-away directory, where the agent reads it instead of /etc/amazon/ssm), runs it, and measures
 * its core process and worker exactly as the openssm-agent.
 * Environment: BENCH_AGENT_IDLE_SECONDS (30), BENCH_AMAZON_SSM_AGENT_DIR.
 */
const IDLE_SECONDS = Number(process.env.BENCH_AGENT_IDLE_SECONDS ?? 30);
const AMAZON_DIR = process.env.BENCH_AMAZON_SSM_AGENT_DIR;
const AWS_AGENT = { rssMiB: 42.9, note: "core and worker together, idle with its control channel open (issue 14)" };
const BEFORE = { rssMiB: 61.6, installMiB: 64.8 };
/** This machine, `npx tsx bench/run.ts agent-footprint` before issue 14 part 7's memory work (ES module bundle, pino, ws, public roots parsed, toISOString). */
const BEFORE_PART7 = { rssMiB: 50.8, maxMiB: 52.8, when: "2026-12-03" };

function treeBytes(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.size;
  return readdirSync(path).reduce((n, e) => n + treeBytes(join(path, e)), 0);
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
  const mib = sampleProcess(bare.pid as number).rssMiB;
  bare.kill();
  return mib;
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
  const mib = sampleProcess(probe.pid as number).rssMiB;
  probe.kill();
  return mib;
}

/** An agent's process and those under it, idle. */
export interface IdleFootprint {
  rssMiB: { mean: number; max: number };
  cpuPercent: number;
  processes: number;
}

export interface AgentFootprint extends IdleFootprint {
  bareNodeMiB: number;
  /** Node.js holding one HTTPS connection to the server, nothing else. */
  tlsNodeMiB: number;
  installBytes: number;
  /** amazon-ssm-agent built on this machine (BENCH_AMAZON_SSM_AGENT_DIR), and the commit it was built from. */
  amazon?: IdleFootprint & { builtFrom: string };
}

async function online(server: TestServer, id: string): Promise<boolean> {
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
      const id = JSON.parse(readFileSync(join(data, "identity.json"), "utf8")).instanceId as string;
      const idle = await idleOnline(server, id, agent.pid as number, () => log);
      agent.kill("SIGTERM");
      await new Promise((r) => agent.once("exit", r));
      return {
        ...idle,
        bareNodeMiB: await bareNodeRssMiB(),
        tlsNodeMiB: await tlsNodeRssMiB(server),
        installBytes,
        amazon: AMAZON_DIR ? await measureAmazonSsmAgent(server, AMAZON_DIR) : undefined,
      };
    } finally {
      if (agent.exitCode === null && agent.signalCode === null) {
        agent.kill("SIGTERM");
        await new Promise((r) => agent.once("exit", r));
      }
    }
  } finally {
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits until the node is Online, lets it settle 5 s, then samples VmRSS of the agent's process and
 * every process under it each second for IDLE_SECONDS, and their CPU over that time.
 */
async function idleOnline(server: TestServer, id: string, pid: number, log: () => string): Promise<IdleFootprint> {
  const deadline = Date.now() + 60_000;
  while (!(await online(server, id))) {
    if (Date.now() > deadline) throw new Error(`the agent did not come online:\n${log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, 5_000)); // settle after start-up
  const pids = () => tree(pid);
  const cpu = () => pids().reduce((n, p) => n + sampleProcess(p).cpu, 0);
  const t0 = cpu();
  const rss: number[] = [];
  let processes = 1;
  for (let s = 0; s < IDLE_SECONDS; s++) {
    await new Promise((r) => setTimeout(r, 1_000));
    const all = pids();
    processes = all.length;
    rss.push(all.reduce((n, p) => n + sampleProcess(p).rssMiB, 0));
  }
  const t1 = cpu();
  return {
    rssMiB: { mean: rss.reduce((a, b) => a + b, 0) / rss.length, max: Math.max(...rss) },
    cpuPercent: ((t1 - t0) / IDLE_SECONDS) * 100,
    processes,
  };
}

const AMAZON_STATE = "/var/lib/amazon/ssm";
const AMAZON_LOGS = "/var/log/amazon/ssm";

/**
 * AWS's amazon-ssm-agent from `binDir`, registered with `server` by a new activation, run idle with
 * its MGS control channel open. Its binaries are linked into a throw-away directory beside
 * configuration/amazon-ssm-agent.json, which the agent reads there instead of /etc/amazon/ssm;
 * what it writes under /var/lib/amazon and /var/log/amazon is removed afterwards (logs only if
 * their directory did not exist before).
 */
async function measureAmazonSsmAgent(server: TestServer, binDir: string): Promise<IdleFootprint & { builtFrom: string }> {
  if (process.getuid?.() !== 0) throw new Error("BENCH_AMAZON_SSM_AGENT_DIR: amazon-ssm-agent runs as root; run the bench as root");
  if (existsSync(AMAZON_STATE)) throw new Error(`${AMAZON_STATE} exists: an amazon-ssm-agent is registered on this machine; the bench leaves it alone`);
  for (const bin of ["amazon-ssm-agent", "ssm-agent-worker", "ssm-session-worker"]) {
    if (!existsSync(join(binDir, bin))) throw new Error(`BENCH_AMAZON_SSM_AGENT_DIR: no ${bin} in ${binDir}`);
  }
  // The agent's commit, as Go stamped it into the binary's build information.
  const commit = /vcs\.revision=([0-9a-f]{40})/.exec(readFileSync(join(binDir, "amazon-ssm-agent"), "latin1"))?.[1];
  const made = [AMAZON_STATE, AMAZON_LOGS].map((p) => (existsSync(dirname(p)) ? p : dirname(p))).filter((p) => !existsSync(p));
  const dir = mkdtempSync(join(tmpdir(), "bench-amazon-ssm-agent-"));
  for (const bin of readdirSync(binDir).filter((f) => f === "amazon-ssm-agent" || f.startsWith("ssm-"))) symlinkSync(resolve(binDir, bin), join(dir, bin));
  const agentBin = join(dir, "amazon-ssm-agent");
  mkdirSync(join(dir, "configuration"));
  const config = {
    Agent: { Region: server.region },
    Ssm: { Endpoint: server.endpoint },
    Mds: { Endpoint: server.endpoint },
    Mgs: { Endpoint: server.tlsEndpoint },
    Identity: { ConsumptionOrder: ["OnPrem"] },
  };
  writeFileSync(join(dir, "configuration/amazon-ssm-agent.json"), JSON.stringify(config, null, 2));
  const env = { ...process.env, SSL_CERT_FILE: server.caFile };
  let agent: ReturnType<typeof spawn> | undefined;
  try {
    const ssm = server.ssm();
    const act = await ssm.send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: 1 }));
    ssm.destroy();
    const register = ["-register", "-code", act.ActivationCode as string, "-id", act.ActivationId as string, "-region", server.region, "-y"];
    try {
      execFileSync(agentBin, register, { cwd: dir, env, stdio: "pipe" });
    } catch (e) {
      throw new Error(`amazon-ssm-agent -register failed:\n${(e as { stdout?: Buffer }).stdout}`);
    }
    const id = JSON.parse(readFileSync(join(AMAZON_STATE, "registration"), "utf8")).ManagedInstanceID as string;
    agent = spawn(agentBin, [], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    agent.stdout?.on("data", (d) => (log += d));
    agent.stderr?.on("data", (d) => (log += d));
    const idle = await idleOnline(server, id, agent.pid as number, () => log);
    return { ...idle, builtFrom: commit ? commit.slice(0, 12) : "an unknown commit" };
  } finally {
    if (agent?.pid && agent.exitCode === null && agent.signalCode === null) {
      // The core stops its worker on SIGTERM (in about 7 s); what is left of them after 30 s is killed.
      const pids = tree(agent.pid);
      const exited = new Promise((r) => agent?.once("exit", r));
      agent.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
      for (const p of pids) {
        try {
          if (readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith(dir)) process.kill(p, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    for (const p of made) rmSync(p, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);

export async function benchAgentFootprint(opts: { record?: boolean } = {}): Promise<string> {
  const f = await measureAgentFootprint();
  const a = f.amazon;
  const aws = a
    ? {
        head: `amazon-ssm-agent (built here from ${a.builtFrom})`,
        rss: `${a.rssMiB.mean.toFixed(1)} MiB (${a.processes === 2 ? "core and worker" : `${a.processes} processes`} together, idle with its control channel open)`,
        max: `${a.rssMiB.max.toFixed(1)} MiB`,
        cpu: `${a.cpuPercent.toFixed(3)} % of one core`,
      }
    : { head: "amazon-ssm-agent (issue 14; not built here)", rss: `${AWS_AGENT.rssMiB} MiB (${AWS_AGENT.note})`, max: "", cpu: "almost none" };
  const targetMiB = a ? Number(a.rssMiB.mean.toFixed(1)) : AWS_AGENT.rssMiB;
  const lines = [
    "## The agent's footprint",
    "",
    `${machine()}. The agent installed by \`packages/agent/install.sh\` into a throw-away prefix and run as its unit runs it (\`openssm-agent run\`, MGS control channel open, nothing to do); RSS is VmRSS of its process${f.processes > 1 ? "es" : ""} sampled every second for ${IDLE_SECONDS} s after a 5 s settle.${a ? ` amazon-ssm-agent is AWS's, unmodified, built on this machine from ${a.builtFrom}, registered with the same server by an activation and measured the same way (its core process and the processes under it).` : ""}`,
    "",
    `| | openssm-agent (now) | openssm-agent (${BEFORE_PART7.when}, before part 7's memory work) | openssm-agent (issue 14, before) | ${aws.head} | target |`,
    "|---|---:|---:|---:|---:|---:|",
    `| install beside Node.js | ${mib(f.installBytes)} MiB | 0.59 MiB | ${BEFORE.installMiB} MiB | n/a | < 10 MiB |`,
    `| idle RSS, mean | ${f.rssMiB.mean.toFixed(1)} MiB | ${BEFORE_PART7.rssMiB} MiB | ${BEFORE.rssMiB} MiB | ${aws.rss} | ≤ ${targetMiB} MiB |`,
    `| idle RSS, max | ${f.rssMiB.max.toFixed(1)} MiB | ${BEFORE_PART7.maxMiB} MiB | | ${aws.max} | |`,
    `| idle CPU, mean | ${f.cpuPercent.toFixed(3)} % of one core | | almost none | ${aws.cpu} | |`,
    "",
    `For scale, on this machine: Node.js itself, running an empty script, is ${f.bareNodeMiB.toFixed(1)} MiB RSS; a Node.js that only holds one HTTPS connection to the server's TLS listener (node:https, TLS and crypto loaded; no agent code) is ${f.tlsNodeMiB.toFixed(1)} MiB. The agent uses ${(f.rssMiB.mean - f.bareNodeMiB).toFixed(1)} MiB above an empty Node.js and ${(f.rssMiB.mean - f.tlsNodeMiB).toFixed(1)} MiB above the HTTPS floor; the target leaves ${(targetMiB - f.bareNodeMiB).toFixed(1)} MiB above an empty Node.js${f.tlsNodeMiB > targetMiB ? ", less than Node.js's own HTTPS and TLS take, so on Node.js it is out of reach on this machine" : ""}.`,
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

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateActivationCommand, ListCommandsCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { Fleet } from "../packages/agent/src/simulator/fleet.js";
import { startServer, type TestServer } from "../test/harness/server.js";
import { repoRoot } from "../test/harness/paths.js";
import { sampleProcess } from "./proc.js";
import { machine, writeSection } from "./results.js";

/**
 * Run Command at fleet scale and the agent's own footprint:
 * - SendCommand `echo` to N simulated nodes (one process, the agent's own modules, real protocols)
 *   until every invocation is Success, over MGS control channels and over ec2messages polling;
 * - the idle RSS and CPU of one real `openssm-agent run` process.
 * Environment: BENCH_AGENTS (1000), BENCH_AGENT_ROUNDS (3), BENCH_AGENT_IDLE_SECONDS (60), BENCH_ENGINE (sqlite).
 */
const NODES = Number(process.env.BENCH_AGENTS ?? 1000);
const ROUNDS = Number(process.env.BENCH_AGENT_ROUNDS ?? 3);
const IDLE_SECONDS = Number(process.env.BENCH_AGENT_IDLE_SECONDS ?? 60);
const ENGINE = (process.env.BENCH_ENGINE ?? "sqlite") as "sqlite" | "postgres";

interface Round {
  /** SendCommand until the command is Success (what a user waits for). */
  total: number;
  /** SendCommand until every simulated node had run the command and made its final reply. */
  agentsReplied: number;
}

interface FanOut {
  transport: "mgs" | "poll";
  setupSeconds: number;
  rounds: Round[];
}

async function activation(ssm: SSMClient, tag: string, limit: number): Promise<{ code: string; id: string }> {
  const a = await ssm.send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: limit, Tags: [{ Key: "Bench", Value: tag }] }));
  return { code: a.ActivationCode as string, id: a.ActivationId as string };
}

/** SendCommand echo to every node tagged Bench=<tag>; seconds until the command is Success, and until every node replied. */
async function sendEcho(ssm: SSMClient, fleet: Fleet, tag: string, count: number): Promise<Round> {
  let lastFinal = 0;
  let finals = 0;
  const unsubscribe = fleet.nodes.map((n) =>
    n.agent.replies.observe((r) => {
      if (r.payload.documentStatus === "Success") {
        finals++;
        lastFinal = performance.now();
      }
    }),
  );
  const started = performance.now();
  try {
    const total = await sendAndWait(ssm, tag, count, started);
    if (finals < count) throw new Error(`only ${finals} of ${count} nodes replied Success`);
    return { total, agentsReplied: (lastFinal - started) / 1000 };
  } finally {
    for (const u of unsubscribe) u();
  }
}

async function sendAndWait(ssm: SSMClient, tag: string, count: number, started: number): Promise<number> {
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: "AWS-RunShellScript",
      Targets: [{ Key: "tag:Bench", Values: [tag] }],
      MaxConcurrency: "100%",
      MaxErrors: "0",
      Parameters: { commands: ["echo hello"] },
    }),
  );
  const id = sent.Command?.CommandId as string;
  if (sent.Command?.TargetCount !== count) throw new Error(`the command targets ${sent.Command?.TargetCount} nodes, expected ${count}`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const c = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.[0];
    if (c?.Status === "Success" && c.CompletedCount === count) return (performance.now() - started) / 1000;
    if (c && ["Failed", "Cancelled", "TimedOut"].includes(c.Status ?? ""))
      throw new Error(`the command ended ${c.Status} (${c.StatusDetails}), ${c.ErrorCount} errors`);
    if (Date.now() > deadline) throw new Error(`the command is still ${c?.Status} after 120 s (${c?.CompletedCount}/${count} done)`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function fanOut(server: TestServer, transport: "mgs" | "poll"): Promise<FanOut> {
  const ssm = server.ssm();
  const act = await activation(ssm, transport, NODES);
  const t0 = performance.now();
  const fleet = await Fleet.start({
    count: NODES,
    activationCode: act.code,
    activationId: act.id,
    endpoint: server.endpoint,
    tlsEndpoint: server.tlsEndpoint,
    ca: readFileSync(server.caFile),
    transport,
    namePrefix: `bench-${transport}`,
    concurrency: 16,
  });
  try {
    await fleet.ready(300_000);
    const setupSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(`  ${NODES} nodes ready over ${transport} in ${setupSeconds.toFixed(1)} s\n`);
    await sendEcho(ssm, fleet, transport, NODES); // warm-up
    const rounds: Round[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      rounds.push(await sendEcho(ssm, fleet, transport, NODES));
      process.stderr.write(`  round ${i + 1}: ${rounds[i].total.toFixed(2)} s (every node had replied after ${rounds[i].agentsReplied.toFixed(2)} s)\n`);
    }
    return { transport, setupSeconds, rounds };
  } finally {
    await fleet.stop();
    ssm.destroy();
  }
}

interface Footprint {
  rssMiB: { mean: number; max: number };
  cpuPercent: number;
  seconds: number;
}

/** One real `openssm-agent run` (control channel up, nothing to do): RSS and CPU over IDLE_SECONDS. */
async function idleAgent(server: TestServer): Promise<Footprint> {
  const ssm = server.ssm();
  const act = await activation(ssm, "idle", 1);
  ssm.destroy();
  const dir = mkdtempSync(join(tmpdir(), "bench-agent-"));
  const bin = join(repoRoot, "packages/agent/bin/openssm-agent.js");
  const run = (args: string[]) => spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  const reg = run([
    "register",
    "--code",
    act.code,
    "--id",
    act.id,
    "--endpoint",
    server.endpoint,
    "--tls-endpoint",
    server.tlsEndpoint,
    "--ca-file",
    server.caFile,
    "--data-dir",
    dir,
  ]);
  await new Promise<void>((resolve, reject) => reg.on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`register exited ${c}`)))));
  const agent = run(["run", "--data-dir", dir, "--log-level", "warn"]);
  let log = "";
  agent.stderr?.on("data", (d) => (log += d));
  try {
    // connected: the node shows the control channel (the agent logs nothing at warn)
    const deadline = Date.now() + 30_000;
    while (!(await connected(server, dir))) {
      if (Date.now() > deadline) throw new Error(`the agent did not connect:\n${log}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await new Promise((r) => setTimeout(r, 5_000)); // settle after start-up
    const pid = agent.pid as number;
    const first = sampleProcess(pid);
    const rss: number[] = [];
    for (let s = 0; s < IDLE_SECONDS; s++) {
      await new Promise((r) => setTimeout(r, 1_000));
      rss.push(sampleProcess(pid).rssMiB);
    }
    const last = sampleProcess(pid);
    return {
      rssMiB: { mean: rss.reduce((a, b) => a + b, 0) / rss.length, max: Math.max(...rss) },
      cpuPercent: ((last.cpu - first.cpu) / IDLE_SECONDS) * 100,
      seconds: IDLE_SECONDS,
    };
  } finally {
    agent.kill("SIGTERM");
    await new Promise((r) => agent.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function connected(server: TestServer, dir: string): Promise<boolean> {
  const id = JSON.parse(readFileSync(join(dir, "identity.json"), "utf8")).instanceId as string;
  const ssm = server.ssm();
  try {
    const { DescribeInstanceInformationCommand } = await import("@aws-sdk/client-ssm");
    const r = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [id] }] }));
    return r.InstanceInformationList?.[0]?.PingStatus === "Online";
  } finally {
    ssm.destroy();
  }
}

const fmt = (n: number, d = 2) => n.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the agent benchmarks and prints a markdown table; `record` also writes bench/RESULTS.md (npm run bench). */
export async function benchAgents(opts: { record?: boolean } = {}): Promise<string> {
  const server = await startServer({ engine: ENGINE, env: { OPENSSM_LOG_LEVEL: "warn" } });
  let results: FanOut[];
  let idle: Footprint;
  try {
    results = [];
    for (const t of ["mgs", "poll"] as const) {
      process.stderr.write(`fan-out over ${t}:\n`);
      results.push(await fanOut(server, t));
    }
    process.stderr.write(`idle agent for ${IDLE_SECONDS} s\n`);
    idle = await idleAgent(server);
  } finally {
    await server.destroy();
  }
  const lines = [
    "## Agents",
    "",
    `${machine()}; server on ${ENGINE}, ${NODES} simulated nodes in one process (the agent's own modules, \`echo\` run in-process).`,
    "",
    "| Run Command fan-out | nodes | until Success (median) | best | rounds | all nodes replied (median) | fleet set-up |",
    "|---|---:|---:|---:|---|---:|---:|",
    ...results.map((r) => {
      const totals = r.rounds.map((x) => x.total);
      return `| SendCommand \`echo\` until all Success, ${r.transport === "mgs" ? "MGS control channels" : "ec2messages polling"} | ${NODES} | ${fmt(median(totals))} s | ${fmt(Math.min(...totals))} s | ${totals.map((x) => fmt(x)).join(", ")} s | ${fmt(median(r.rounds.map((x) => x.agentsReplied)))} s | ${fmt(r.setupSeconds, 0)} s |`;
    }),
    "",
    "_all nodes replied_: SendCommand until the last simulated node had run `echo` and made its final reply; the rest is the server taking the replies.",
    "",
    "| One idle `openssm-agent run` | value |",
    "|---|---:|",
    `| RSS, mean over ${idle.seconds} s | ${fmt(idle.rssMiB.mean, 1)} MiB |`,
    `| RSS, max | ${fmt(idle.rssMiB.max, 1)} MiB |`,
    `| CPU, mean over ${idle.seconds} s | ${fmt(idle.cpuPercent, 3)} % of one core |`,
  ];
  const table = lines.join("\n");
  if (opts.record) writeSection("agents", table);
  process.stdout.write(`${table}\n`);
  return table;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchAgents({ record: process.argv.includes("--record") })
    .then(() => process.exit(0))
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    });
}

import { readFileSync } from "node:fs";
import { CreateActivationCommand, ListCommandsCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { Fleet } from "../packages/agent/src/simulator/fleet.js";
import { startServer, type TestServer } from "../test/harness/server.js";
import { sampleProcess } from "./proc.js";
import { machine, writeSection } from "./results.js";

/**
 * One server process holding a large fleet of MGS control channels (issue 14's 10,000 nodes):
 * the server's RSS and CPU at rest with every channel open, then SendCommand `echo` to every node
 * until the command is Success. The nodes are simulated in this process (the agent's own modules,
 * real registration, credentials and TLS control channels; `echo` runs in-process).
 * Environment: BENCH_FLEET_NODES (10000), BENCH_FLEET_IDLE_SECONDS (30), BENCH_FLEET_ROUNDS (2),
 * BENCH_ENGINE (sqlite). Alone: `npm run bench -- fleet`.
 */
const NODES = Number(process.env.BENCH_FLEET_NODES ?? 10_000);
const IDLE_SECONDS = Number(process.env.BENCH_FLEET_IDLE_SECONDS ?? 30);
const ROUNDS = Number(process.env.BENCH_FLEET_ROUNDS ?? 2);
const ENGINE = (process.env.BENCH_ENGINE ?? "sqlite") as "sqlite" | "postgres";
/** AWS caps an activation at 1,000 registrations: the fleet registers through several. */
const PER_ACTIVATION = 1000;
const TAG = "fleet";

const openFiles = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/limits`, "utf8").match(/Max open files\s+(\d+)/)?.[1] ?? "?";
  } catch {
    return "?";
  }
};

const load1 = () => Number(readFileSync("/proc/loadavg", "utf8").split(" ")[0]);

async function startFleets(server: TestServer, ssm: SSMClient): Promise<Fleet[]> {
  const fleets: Fleet[] = [];
  const ca = readFileSync(server.caFile);
  for (let start = 0; start < NODES; start += PER_ACTIVATION) {
    const count = Math.min(PER_ACTIVATION, NODES - start);
    const a = await ssm.send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: count, Tags: [{ Key: "Bench", Value: TAG }] }));
    fleets.push(
      await Fleet.start({
        count,
        activationCode: a.ActivationCode as string,
        activationId: a.ActivationId as string,
        endpoint: server.endpoint,
        tlsEndpoint: server.tlsEndpoint,
        ca,
        transport: "mgs",
        namePrefix: `fleet-${start / PER_ACTIVATION}`,
        concurrency: 16,
      }),
    );
    process.stderr.write(`  ${start + count} nodes registered and started\n`);
  }
  for (const f of fleets) await f.ready(600_000);
  return fleets;
}

/** SendCommand `echo` to the whole fleet; seconds until the command is Success on every node. */
async function sendEcho(ssm: SSMClient): Promise<number> {
  const started = performance.now();
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: "AWS-RunShellScript",
      Targets: [{ Key: "tag:Bench", Values: [TAG] }],
      MaxConcurrency: "100%",
      MaxErrors: "0",
      Parameters: { commands: ["echo hello"] },
    }),
  );
  const id = sent.Command?.CommandId as string;
  if (sent.Command?.TargetCount !== NODES) throw new Error(`the command targets ${sent.Command?.TargetCount} nodes, expected ${NODES}`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    const c = (await ssm.send(new ListCommandsCommand({ CommandId: id }))).Commands?.[0];
    if (c?.Status === "Success" && c.CompletedCount === NODES) return (performance.now() - started) / 1000;
    if (c && ["Failed", "Cancelled", "TimedOut"].includes(c.Status ?? ""))
      throw new Error(`the command ended ${c.Status} (${c.StatusDetails}), ${c.ErrorCount} errors`);
    if (Date.now() > deadline) throw new Error(`the command is still ${c?.Status} after 300 s (${c?.CompletedCount}/${NODES} done)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface FleetResult {
  nodes: number;
  setupSeconds: number;
  idle: { seconds: number; rssMiB: number; cpuPercent: number; load: number };
  rounds: { seconds: number; serverCpu: number; peakRssMiB: number }[];
  fdLimit: string;
}

export async function measureFleet(): Promise<FleetResult> {
  const server = await startServer({ engine: ENGINE, env: { OPENSSM_LOG_LEVEL: "warn" } });
  const ssm = server.ssm();
  let fleets: Fleet[] = [];
  try {
    const pid = server.process.pid as number;
    const t0 = performance.now();
    fleets = await startFleets(server, ssm);
    const setupSeconds = (performance.now() - t0) / 1000;
    process.stderr.write(`  ${NODES} control channels open in ${setupSeconds.toFixed(0)} s; server RSS ${sampleProcess(pid).rssMiB.toFixed(0)} MiB\n`);
    // At rest: every channel open, nothing to do (after a short settle for the start-up's reports).
    await new Promise((r) => setTimeout(r, 5_000));
    const load = load1();
    const a = sampleProcess(pid);
    const rss: number[] = [];
    for (let s = 0; s < IDLE_SECONDS; s++) {
      await new Promise((r) => setTimeout(r, 1_000));
      rss.push(sampleProcess(pid).rssMiB);
    }
    const b = sampleProcess(pid);
    const idle = { seconds: IDLE_SECONDS, rssMiB: rss.reduce((x, y) => x + y, 0) / rss.length, cpuPercent: ((b.cpu - a.cpu) / IDLE_SECONDS) * 100, load };
    process.stderr.write(`  idle: RSS ${idle.rssMiB.toFixed(0)} MiB, CPU ${idle.cpuPercent.toFixed(1)} % of one core\n`);
    const rounds: FleetResult["rounds"] = [];
    for (let i = 0; i < ROUNDS; i++) {
      let peak = 0;
      const watch = setInterval(() => (peak = Math.max(peak, sampleProcess(pid).rssMiB)), 200);
      const c0 = sampleProcess(pid).cpu;
      try {
        const seconds = await sendEcho(ssm);
        rounds.push({ seconds, serverCpu: sampleProcess(pid).cpu - c0, peakRssMiB: Math.max(peak, sampleProcess(pid).rssMiB) });
      } finally {
        clearInterval(watch);
      }
      const last = rounds[rounds.length - 1];
      process.stderr.write(
        `  SendCommand echo to ${NODES}: Success after ${last.seconds.toFixed(2)} s (server CPU ${last.serverCpu.toFixed(1)} s, peak RSS ${last.peakRssMiB.toFixed(0)} MiB)\n`,
      );
    }
    return { nodes: NODES, setupSeconds, idle, rounds, fdLimit: openFiles(pid) };
  } finally {
    for (const f of fleets) await f.stop();
    ssm.destroy();
    await server.destroy();
  }
}

export async function benchFleet(opts: { record?: boolean } = {}): Promise<void> {
  const r = await measureFleet();
  const fmt = (n: number, d = 2) => n.toFixed(d);
  const lines = [
    `## ${r.nodes.toLocaleString("en-US")} nodes on one server (${ENGINE})`,
    "",
    `Machine: ${machine()}; one server process (open files limit ${r.fdLimit}); ${r.nodes.toLocaleString("en-US")} simulated nodes in one other process, each registered through RegisterManagedInstance (${Math.ceil(r.nodes / PER_ACTIVATION)} activations), with its own credentials and its own TLS MGS control channel; \`echo\` runs in-process. 1-minute load average ${r.idle.load.toFixed(1)} at rest (the machine is shared). Run: ${new Date().toISOString()}.`,
    "",
    "| What | Result | Target |",
    "|---|---:|---:|",
    `| Server RSS at rest, every control channel open (mean over ${r.idle.seconds} s) | ${fmt(r.idle.rssMiB, 0)} MiB | ≤ 1 GB |`,
    `| Server CPU at rest (mean over ${r.idle.seconds} s) | ${fmt(r.idle.cpuPercent, 1)} % of one core | ≤ 10 % |`,
    ...r.rounds.map(
      (x, i) =>
        `| SendCommand \`echo\` to all ${r.nodes.toLocaleString("en-US")} until the command is Success, round ${i + 1} (server CPU; peak RSS) | ${fmt(x.seconds)} s (${fmt(x.serverCpu, 1)} CPU-s; ${fmt(x.peakRssMiB, 0)} MiB) | ≤ 10 s |`,
    ),
    `| Fleet set-up: registration, credentials and control channels | ${fmt(r.setupSeconds, 0)} s | |`,
  ];
  const table = lines.join("\n");
  if (opts.record) writeSection(`fleet-${ENGINE}`, table);
  process.stdout.write(`${table}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  benchFleet({ record: process.argv.includes("--record") })
    .then(() => process.exit(0))
    .catch((e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    });
}

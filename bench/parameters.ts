import { type ChildProcess, spawn } from "node:child_process";
import { availableParallelism } from "node:os";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { startServer } from "../test/harness/server.js";
import { type LoadResult, runLoad } from "./load.js";
import { haveWrk, runWrk } from "./wrk.js";
import { machine, writeSection } from "./results.js";
import { prepareSsmRequests } from "./sign.js";

/**
 * Signed GetParameter and PutParameter throughput and latency on SQLite and PostgreSQL,
 * and the same requests against moto_server, in one run.
 */
const READ_SECONDS = Number(process.env.BENCH_READ_SECONDS ?? 10);
const WRK = process.env.BENCH_LOAD !== "node" && haveWrk();
const WRITES = Number(process.env.BENCH_WRITES ?? (WRK ? 20000 : 5000));
const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SEED = 200;

interface Target {
  name: string;
  endpoint: string;
  creds: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

async function seed(t: Target): Promise<void> {
  const ssm = new SSMClient({ endpoint: t.endpoint, region: "us-east-1", credentials: t.creds, maxAttempts: 1 });
  for (let i = 0; i < SEED; i++) {
    await ssm.send(new PutParameterCommand({ Name: `/bench/read/p${i}`, Value: `value-${i}`, Type: "String", Overwrite: true }));
  }
  ssm.destroy();
}

async function measure(t: Target): Promise<{ get: LoadResult; put: LoadResult }> {
  await seed(t);
  const gets = await prepareSsmRequests(
    t.endpoint,
    t.creds,
    "GetParameter",
    Array.from({ length: SEED }, (_, i) => ({ Name: `/bench/read/p${i}` })),
  );
  // warm-up, then the measured run
  await runLoad(t.endpoint, gets, { connections: CONNECTIONS, total: 2000, maxSeconds: 5 });
  const get = WRK
    ? await runWrk(t.endpoint, gets, { connections: CONNECTIONS, seconds: READ_SECONDS })
    : await runLoad(t.endpoint, gets, { connections: CONNECTIONS, total: 10_000_000, maxSeconds: READ_SECONDS });
  const run = Date.now();
  const puts = await prepareSsmRequests(
    t.endpoint,
    t.creds,
    "PutParameter",
    Array.from({ length: WRITES }, (_, i) => ({ Name: `/bench/write/${run}/p${i}`, Value: `value-${i}`, Type: "String" })),
  );
  // wrk runs for a time: a few seconds, with more distinct requests prepared than it can send
  const put = WRK
    ? await runWrk(t.endpoint, puts, { connections: CONNECTIONS, seconds: WRITE_SECONDS })
    : await runLoad(t.endpoint, puts, { connections: CONNECTIONS, total: WRITES, maxSeconds: 60 });
  return { get, put };
}

/** API workers for the multi-process rows: one per CPU unless BENCH_API_WORKERS says otherwise. */
const API_WORKERS = Number(process.env.BENCH_API_WORKERS ?? availableParallelism());

async function openssm(engine: "sqlite" | "postgres", workers = 0): Promise<Target> {
  const server = await startServer({ engine, env: { OPENSSM_LOG_LEVEL: "warn", OPENSSM_API_WORKERS: String(workers) } });
  const name = workers ? `openssm (${engine}, ${workers} API workers)` : `openssm (${engine})`;
  return { name, endpoint: server.endpoint, creds: server.admin, stop: () => server.destroy() };
}

/** moto_server on a free port (tried on up to three random ports: one may be taken). */
async function moto(): Promise<Target | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const t = await motoOn(45000 + Math.floor(Math.random() * 1000));
    if (t) return t;
  }
  return undefined;
}

async function motoOn(port: number): Promise<Target | undefined> {
  let child: ChildProcess;
  try {
    child = spawn(process.env.MOTO_SERVER ?? "moto_server", ["-p", String(port)], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) return undefined;
    try {
      await fetch(`${endpoint}/moto-api/`);
      return {
        name: "moto_server 5",
        endpoint,
        creds: { accessKeyId: "AKIAMOTO0000000000", secretAccessKey: "moto" },
        stop: async () => {
          child.kill("SIGKILL");
        },
      };
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  child.kill("SIGKILL");
  return undefined;
}

const fmt = (r: LoadResult) =>
  `${Math.round(r.rps).toLocaleString("en-US")} | ${r.p50ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${r.requests}${r.errors ? ` (${r.errors} errors: ${r.firstError?.slice(0, 80)})` : ""}`;

export async function benchParameters(): Promise<void> {
  const rows: { name: string; get: LoadResult; put: LoadResult }[] = [];
  const only = process.env.BENCH_TARGETS?.split(",");
  const targets: [string, () => Promise<Target | undefined>][] = [
    ["sqlite", () => openssm("sqlite")],
    ["sqlite-workers", () => openssm("sqlite", API_WORKERS)],
    ["postgres", () => openssm("postgres")],
    ["postgres-workers", () => openssm("postgres", API_WORKERS)],
    ["moto", moto],
  ];
  for (const [key, make] of targets) {
    if (only && !only.includes(key)) continue;
    const t = await make();
    if (!t) {
      process.stderr.write("moto_server could not be started; skipping it\n");
      continue;
    }
    process.stderr.write(`benchmarking ${t.name} at ${t.endpoint}...\n`);
    try {
      rows.push({ name: t.name, ...(await measure(t)) });
    } finally {
      await t.stop();
    }
    const last = rows[rows.length - 1];
    process.stderr.write(`  GetParameter ${Math.round(last.get.rps)} req/s, PutParameter ${Math.round(last.put.rps)} req/s\n`);
  }
  const motoRow = rows.find((r) => r.name.startsWith("moto"));
  const lines = [
    "## Parameter Store: signed GetParameter / PutParameter",
    "",
    `Machine: ${machine()}. Run: ${new Date().toISOString()}. Load: ${WRK ? "wrk (one thread)" : "a Node.js client"} on the same machine, ${CONNECTIONS} keep-alive connections replaying pre-signed SigV4 requests; the server is one Node.js process, or with API workers that many more processes sharing its port (they answer the reads; writes are passed to the main process). Reads: GetParameter for ${READ_SECONDS} s over ${SEED} String parameters. Writes: PutParameter of distinct new parameters ${WRK ? `for ${WRITE_SECONDS} s` : `(${WRITES})`}; on SQLite every acknowledged write is on disk (WAL + one fsync shared by the writers committed meanwhile), on PostgreSQL every commit is durable (synchronous_commit on). Every call is also written to the audit trail.`,
    "",
    "| target | operation | req/s | p50 ms | p99 ms | requests |",
    "| --- | --- | ---: | ---: | ---: | ---: |",
    ...rows.flatMap((r) => [`| ${r.name} | GetParameter | ${fmt(r.get)} |`, `| ${r.name} | PutParameter | ${fmt(r.put)} |`]),
    "",
    ...(motoRow
      ? rows
          .filter((r) => r !== motoRow)
          .map(
            (r) =>
              `- ${r.name}: GetParameter ${(r.get.rps / motoRow.get.rps).toFixed(1)}× moto, PutParameter ${(r.put.rps / motoRow.put.rps).toFixed(1)}× moto.`,
          )
      : ["- moto_server was not available in this run."]),
  ];
  writeSection("parameters", lines.join("\n"));
  process.stdout.write(`${lines.join("\n")}\n`);
}

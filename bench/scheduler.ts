import { CreateMaintenanceWindowCommand, DescribeMaintenanceWindowExecutionsCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { openStorage } from "@openssm/server";
import { nextStart } from "../packages/server/src/capabilities/maintenance-windows/schedule.js";
import type { WindowTables } from "../packages/server/src/capabilities/maintenance-windows/tables.js";
import { startServer } from "../test/harness/server.js";
import { machine, writeSection } from "./results.js";

/**
 * The scheduler's cost with WINDOWS maintenance windows held by one running server (AWS allows 50 per
 * account and region, so they are spread over WINDOWS / 50 regions: the server is started with that
 * many region names in OPENSSM_REGIONS), on the system clock and the default 1 s scheduler interval:
 * - next-start computation for all of them: the server's own `nextStart` over every stored row
 *   (cron in several time zones, with offsets, rate, StartDate / EndDate), read from its database;
 * - how late windows start: FIRING of them are on rate(1 minute), so they all come due together at
 *   each whole minute while the others wait for theirs; over MINUTES minutes, each start's
 *   StartTime against the minute it was due.
 * Environment: BENCH_WINDOWS (10000), BENCH_FIRING (1000), BENCH_MINUTES (3), BENCH_ENGINE (sqlite).
 */
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 10_000);
const FIRING = Number(process.env.BENCH_FIRING ?? 1000);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 3);
const ENGINE = (process.env.BENCH_ENGINE ?? "sqlite") as "sqlite" | "postgres";
const PER_REGION = 50;

const CRONS = [
  "cron(0 2 ? * SUN *)",
  "cron(30 23 ? * TUE#3 *)",
  "cron(0 2 L * ? *)",
  "cron(15 10 ? * 6L *)",
  "cron(0 4 1,15 * ? *)",
  "cron(0 0 15W * ? *)",
  "cron(0 3 ? * MON-FRI *)",
  "cron(45 1 * * ? *)",
];
const ZONES = [undefined, "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"];
const RATES = ["rate(6 hours)", "rate(1 day)", "rate(7 days)"];

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The i-th held window: not due during the run. */
function heldWindow(i: number, now: number) {
  const schedule = i % 5 === 4 ? RATES[i % RATES.length] : CRONS[i % CRONS.length];
  return new CreateMaintenanceWindowCommand({
    Name: `held-${i}`,
    Schedule: schedule,
    ScheduleTimezone: schedule.startsWith("cron") ? ZONES[i % ZONES.length] : undefined,
    ScheduleOffset: schedule.startsWith("cron") && i % 7 === 0 ? 2 : undefined,
    StartDate: i % 11 === 0 ? iso(now + 86_400_000) : undefined,
    EndDate: i % 13 === 0 ? iso(now + 400 * 86_400_000) : undefined,
    Duration: 2,
    Cutoff: 1,
    AllowUnassociatedTargets: true,
  });
}

/** Runs `work` over items, `width` at a time. */
async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export async function benchScheduler(opts: { record: boolean }): Promise<void> {
  const regionCount = Math.ceil(WINDOWS / PER_REGION);
  const regions = ["us-east-1", ...Array.from({ length: regionCount - 1 }, (_, i) => `bench-${i + 1}`)];
  const server = await startServer({
    engine: ENGINE,
    env: { OPENSSM_LOG_LEVEL: "warn", OPENSSM_SCHEDULER_INTERVAL_MS: "1000", OPENSSM_REGIONS: regions.join(",") },
  });
  let nextStartRuns: number[] = [];
  let readMs = 0;
  const late: number[] = [];
  let created = 0;
  let createSeconds = 0;
  try {
    const clients = new Map<string, SSMClient>(regions.map((r) => [r, server.ssm(server.admin, r)]));
    const now = Date.now();
    // The firing windows are spread over the regions like the others.
    const firing = new Set(Array.from({ length: FIRING }, (_, k) => Math.floor((k * WINDOWS) / FIRING)));
    const firingIds: { id: string; region: string }[] = [];
    const started = performance.now();
    await pool(
      Array.from({ length: WINDOWS }, (_, i) => i),
      16,
      async (i) => {
        const region = regions[Math.floor(i / PER_REGION)];
        const command = firing.has(i)
          ? new CreateMaintenanceWindowCommand({ Name: `firing-${i}`, Schedule: "rate(1 minute)", Duration: 1, Cutoff: 0, AllowUnassociatedTargets: true })
          : heldWindow(i, now);
        const r = await (clients.get(region) as SSMClient).send(command);
        created++;
        if (firing.has(i)) firingIds.push({ id: String(r.WindowId), region });
      },
    );
    createSeconds = (performance.now() - started) / 1000;
    process.stdout.write(`${created} windows created over ${regions.length} regions in ${createSeconds.toFixed(0)} s\n`);

    // Next starts of every stored window, with the server's code, from its database.
    const storage = openStorage(server.databaseUrl);
    try {
      for (let run = 0; run < 3; run++) {
        const t0 = performance.now();
        const rows = await (storage.db as unknown as import("kysely").Kysely<WindowTables>).selectFrom("mw_windows").selectAll().execute();
        const t1 = performance.now();
        const at = Date.now();
        let found = 0;
        for (const w of rows) if (nextStart(w, at) !== undefined) found++;
        const t2 = performance.now();
        if (rows.length !== WINDOWS || found !== WINDOWS) throw new Error(`${rows.length} windows stored, ${found} with a next start; expected ${WINDOWS}`);
        readMs = Math.max(readMs, t1 - t0);
        nextStartRuns.push(t2 - t1);
      }
    } finally {
      await storage.close();
    }
    process.stdout.write(`next start of ${WINDOWS} stored windows: ${nextStartRuns.map((r) => r.toFixed(0)).join(", ")} ms (read ${readMs.toFixed(0)} ms)\n`);

    // The firing windows' first start is the second whole minute from their creation at the latest; then MINUTES more.
    const end = (Math.floor(Date.now() / 60_000) + 2 + MINUTES) * 60_000 + 5_000;
    await new Promise((r) => setTimeout(r, end - Date.now()));
    await pool(firingIds, 8, async ({ id, region }) => {
      const ex = (await (clients.get(region) as SSMClient).send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: id, MaxResults: 100 })))
        .WindowExecutions;
      for (const e of ex ?? []) {
        const start = (e.StartTime as Date).getTime();
        late.push(start - Math.floor(start / 60_000) * 60_000);
      }
    });
  } finally {
    await server.destroy();
  }
  nextStartRuns = nextStartRuns.map((r) => Math.round(r));
  const p50 = percentile(late, 50);
  const p99 = percentile(late, 99);
  const max = Math.max(...late);
  process.stdout.write(`${late.length} window starts: late p50 ${p50} ms, p99 ${p99} ms, max ${max} ms\n`);
  const table = `## Scheduler: maintenance windows (${ENGINE})

Machine: ${machine()}; engine ${ENGINE}. One server holds ${WINDOWS.toLocaleString("en")} maintenance windows (${PER_REGION} per region, AWS's quota, over ${regionCount} regions named with \`OPENSSM_REGIONS\`; created in ${createSeconds.toFixed(0)} s), system clock, default 1 s scheduler interval.

| What | Result | Target |
|---|---:|---:|
| Next start of all ${WINDOWS.toLocaleString("en")} stored windows (cron in 5 time zones, offsets, rate, StartDate / EndDate), the server's \`nextStart\` over the rows read from its database, 3 runs | ${nextStartRuns.map((r) => `${r} ms`).join(", ")} (+ ${readMs.toFixed(0)} ms to read the rows) | ≤ 1 s |
| How late a window starts: ${FIRING} of the windows on rate(1 minute), all due at each whole minute, ${late.length} starts over ${MINUTES} minutes: p50 / p99 / max | ${p50} / ${p99} / ${max} ms | p99 ≤ 1 s |

Ticks fall just after each whole second; the windows due at a tick are claimed and recorded up to 100
per transaction (a few statements for all of them, plus one event each), each stamped when its batch is
taken. The ${(WINDOWS - FIRING).toLocaleString("en")} windows not due cost a tick nothing (an index on the next start).
`;
  if (opts.record) writeSection(ENGINE === "sqlite" ? "scheduler" : `scheduler-${ENGINE}`, table);
}

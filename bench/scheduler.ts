import { CreateMaintenanceWindowCommand, DeleteMaintenanceWindowCommand, DescribeMaintenanceWindowExecutionsCommand } from "@aws-sdk/client-ssm";
import { nextStart } from "../packages/server/src/capabilities/maintenance-windows/schedule.js";
import { nextOccurrence, parseSchedule } from "../packages/server/src/scheduler/expressions.js";
import { startServer } from "../test/harness/server.js";
import { machine, writeSection } from "./results.js";

/**
 * The scheduler's cost:
 * - next-start computation for 10,000 schedules held in memory: 5,000 maintenance windows (cron in
 *   several time zones, some with offsets, rate, StartDate/EndDate) and 5,000 association-like
 *   schedules (cron and rate), three runs;
 * - how late windows start: WINDOWS windows (AWS's quota per region) on rate(1 minute), on a real
 *   server with the system clock and the default 1 s scheduler interval, over MINUTES minutes; each
 *   start's StartTime against the whole minute it was due.
 * Environment: BENCH_SCHEDULES (10000), BENCH_WINDOWS (50), BENCH_MINUTES (3), BENCH_ENGINE (sqlite).
 */
const SCHEDULES = Number(process.env.BENCH_SCHEDULES ?? 10_000);
const WINDOWS = Number(process.env.BENCH_WINDOWS ?? 50);
const MINUTES = Number(process.env.BENCH_MINUTES ?? 3);
const ENGINE = (process.env.BENCH_ENGINE ?? "sqlite") as "sqlite" | "postgres";

const CRONS = [
  "cron(0 2 ? * SUN *)",
  "cron(30 23 ? * TUE#3 *)",
  "cron(0 2 L * ? *)",
  "cron(15 10 ? * 6L *)",
  "cron(0/15 * * * ? *)",
  "cron(0/5 8-17 ? * MON-FRI *)",
  "cron(0 0 15W * ? *)",
  "cron(0 4 1,15 * ? *)",
];
const ZONES = [undefined, "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"];
const RATES = ["rate(30 minutes)", "rate(1 hour)", "rate(12 hours)", "rate(7 days)"];

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)];

function nextStartsMs(): number {
  const now = Date.now();
  const windows = Array.from({ length: SCHEDULES / 2 }, (_, i) => {
    const schedule = i % 5 === 4 ? RATES[i % RATES.length] : CRONS[i % CRONS.length];
    return {
      schedule,
      schedule_timezone: ZONES[i % ZONES.length] ?? null,
      schedule_offset: schedule.startsWith("cron") && i % 7 === 0 ? 2 : null,
      start_at: i % 11 === 0 ? now + 86_400_000 : null,
      end_at: i % 13 === 0 ? now + 400 * 86_400_000 : null,
      anchor_at: now - (i % 1000) * 60_000,
    };
  });
  const associations = Array.from({ length: SCHEDULES / 2 }, (_, i) => parseSchedule(i % 3 === 0 ? RATES[i % RATES.length] : CRONS[i % CRONS.length]));
  const started = performance.now();
  let found = 0;
  for (const w of windows) if (nextStart(w, now) !== undefined) found++;
  for (const [i, s] of associations.entries()) if (nextOccurrence(s, now, { anchor: now - i * 1000 }) !== undefined) found++;
  const ms = performance.now() - started;
  if (found !== SCHEDULES) throw new Error(`only ${found} of ${SCHEDULES} schedules had a next start`);
  return ms;
}

export async function benchScheduler(opts: { record: boolean }): Promise<void> {
  const runs = [nextStartsMs(), nextStartsMs(), nextStartsMs()];
  process.stdout.write(`next start of ${SCHEDULES} schedules: ${runs.map((r) => r.toFixed(0)).join(", ")} ms\n`);

  const server = await startServer({ engine: ENGINE, env: { OPENSSM_LOG_LEVEL: "warn" } });
  const late: number[] = [];
  try {
    const ssm = server.ssm();
    const ids: string[] = [];
    for (let i = 0; i < WINDOWS; i++) {
      const r = await ssm.send(
        new CreateMaintenanceWindowCommand({ Name: `bench-${i}`, Schedule: "rate(1 minute)", Duration: 1, Cutoff: 0, AllowUnassociatedTargets: true }),
      );
      ids.push(String(r.WindowId));
    }
    // The first starts come at the second whole minute from now; wait MINUTES more.
    await new Promise((r) => setTimeout(r, (MINUTES + 2) * 60_000 - (Date.now() % 60_000) + 5_000));
    for (const id of ids) {
      const ex = (await ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: id, MaxResults: 100 }))).WindowExecutions ?? [];
      for (const e of ex) {
        const start = (e.StartTime as Date).getTime();
        late.push(start - Math.floor(start / 60_000) * 60_000);
      }
      await ssm.send(new DeleteMaintenanceWindowCommand({ WindowId: id }));
    }
  } finally {
    await server.destroy();
  }
  const p50 = percentile(late, 50);
  const p99 = percentile(late, 99);
  const max = Math.max(...late);
  process.stdout.write(`${late.length} window starts: late p50 ${p50} ms, p99 ${p99} ms, max ${max} ms\n`);
  const table = `## Scheduler (maintenance windows and schedules)

Machine: ${machine()}; engine ${ENGINE}.

| What | Result | Target |
|---|---:|---:|
| Next start of ${SCHEDULES.toLocaleString("en")} schedules (windows with zones, offsets and dates; association cron/rate), 3 runs | ${runs.map((r) => `${r.toFixed(0)} ms`).join(", ")} | ≤ 1 s |
| How late a window starts (${late.length} starts of ${WINDOWS} rate(1 minute) windows, system clock, 1 s scheduler interval): p50 / p99 / max | ${p50} / ${p99} / ${max} ms | p99 ≤ 1 s |

The lateness is bounded by the scheduler's interval (\`--scheduler-interval-ms\`, 1 s by default): a
start is taken on the first tick at or after it, in the same transaction that records it.
`;
  if (opts.record) writeSection("scheduler", table);
}

import { readFileSync } from "node:fs";

/** What /proc says of a process now. */
export interface ProcSample {
  /** CPU seconds (user + system) so far. */
  cpu: number;
  rssMiB: number;
}

export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return { cpu: (Number(f[11]) + Number(f[12])) / 100, rssMiB: Number(rss?.[1] ?? 0) / 1024 };
}

import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../identity/identity-store.js";

function runningAgent(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("openssm-agent") || readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("agent/src/main");
  } catch {
    return true; // no /proc: trust the pid
  }
}

/** The pid of the `openssm-agent run` holding `dataDir`, if one runs. */
export function runningAgentPid(dataDir: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(join(dataDir, "agent.pid"), "utf8").trim());
  } catch {
    return undefined;
  }
  return pid && pid !== process.pid && runningAgent(pid) ? pid : undefined;
}

/** One `run` per data dir: <data-dir>/agent.pid, taken over when its process is gone. */
export function takePidLock(dataDir: string): () => void {
  const path = join(dataDir, "agent.pid");
  let other: number | undefined;
  try {
    other = Number(readFileSync(path, "utf8").trim());
  } catch {
    other = undefined;
  }
  if (other && other !== process.pid && runningAgent(other)) {
    throw new Error(`another openssm-agent (pid ${other}) already runs with ${dataDir}; stop it first or use another --data-dir`);
  }
  writeFileAtomic(path, `${process.pid}\n`, 0o644);
  return () => {
    try {
      if (Number(readFileSync(path, "utf8").trim()) === process.pid) rmSync(path, { force: true });
    } catch {
      // gone already
    }
  };
}

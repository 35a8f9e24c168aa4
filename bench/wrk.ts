import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LoadResult, PreparedRequest } from "./load.js";

/** Whether Debian's wrk (a C load generator) is installed; it leaves more CPU to the server than a Node client. */
export function haveWrk(): boolean {
  return spawnSync("wrk", ["--version"]).error === undefined;
}

const lua = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

/**
 * Replays pre-signed requests with wrk (one thread, `connections` connections) for `seconds`.
 * Requests are taken in order and never twice while there are enough of them (writes).
 */
export async function runWrk(url: string, requests: PreparedRequest[], opts: { connections: number; seconds: number }): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), "openssm-wrk-"));
  const script = join(dir, "requests.lua");
  const lines = ["local reqs = {}"];
  requests.forEach((r, i) => {
    const headers = Object.entries(r.headers)
      .filter(([k]) => k.toLowerCase() !== "content-length")
      .map(([k, v]) => `[${lua(k)}]=${lua(String(v))}`)
      .join(",");
    lines.push(`reqs[${i + 1}] = wrk.format("POST", "/", {${headers}}, ${lua(r.body)})`);
  });
  lines.push(
    "local i = 0",
    "request = function() i = i % #reqs + 1; return reqs[i] end",
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    '  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))',
    "end",
  );
  writeFileSync(script, lines.join("\n"));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn("wrk", ["-t1", `-c${opts.connections}`, `-d${opts.seconds}s`, "--latency", "-s", script, url], { stdio: ["ignore", "pipe", "pipe"] });
      let text = "";
      child.stdout.on("data", (d) => (text += d));
      child.stderr.on("data", (d) => (text += d));
      child.on("error", reject);
      child.on("close", () => resolve(text));
    });
    const m = out.match(/RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)/);
    if (!m) throw new Error(`wrk printed no result:\n${out}`);
    const [requestsDone, durationUs, p50us, p99us, statusErrors, socketErrors] = m.slice(1).map(Number);
    const seconds = durationUs / 1e6;
    return {
      requests: requestsDone,
      errors: statusErrors + socketErrors,
      seconds,
      rps: requestsDone / seconds,
      p50ms: p50us / 1000,
      p99ms: p99us / 1000,
      firstError: statusErrors + socketErrors ? `${statusErrors} non-2xx answers, ${socketErrors} socket errors` : undefined,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

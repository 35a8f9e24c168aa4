#!/usr/bin/env node
// Runs the test suite: unit tests once, then the end-to-end tests on SQLite and on PostgreSQL.
// Usage: node scripts/run-tests.mjs [unit|e2e] [--engine sqlite|postgres] [file filters...]
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args[0] === "unit" || args[0] === "e2e" ? args.shift() : undefined;
let engines = ["sqlite", "postgres"];
const ei = args.indexOf("--engine");
if (ei >= 0) {
  engines = [args[ei + 1]];
  args.splice(ei, 2);
}
const filters = args;

function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === "node_modules") continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) find(p, out);
    else if (e.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const all = [...find(join(root, "test")), ...find(join(root, "packages"))].sort();
const pick = (files) => (filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files);
const unit = pick(all.filter((f) => !f.startsWith("test/e2e/")));
const e2e = pick(all.filter((f) => f.startsWith("test/e2e/")));

let passed = 0;
let failed = 0;
function runNode(files, env, label) {
  if (files.length === 0) return;
  process.stdout.write(`\n== ${label}: ${files.length} files ==\n`);
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      "--test-reporter=spec",
      "--test-force-exit",
      `--test-timeout=${process.env.OPENSSM_TEST_TIMEOUT_MS ?? 180000}`,
      `--test-concurrency=${process.env.OPENSSM_TEST_CONCURRENCY ?? 2}`,
      ...files,
    ],
    {
      cwd: root,
      env: { ...process.env, ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 512 * 1024 * 1024,
      // A bound on a whole run, so a stuck suite fails CI instead of outliving it.
      timeout: Number(process.env.OPENSSM_TEST_RUN_TIMEOUT_MS ?? 35 * 60 * 1000),
      killSignal: "SIGKILL",
    },
  );
  if (r.error) process.stdout.write(`\n${label}: ${r.error.message}\n`);
  process.stdout.write(r.stdout ?? "");
  const p = /ℹ pass (\d+)/.exec(r.stdout ?? "");
  const f = /ℹ fail (\d+)/.exec(r.stdout ?? "");
  passed += p ? Number(p[1]) : 0;
  failed += f ? Number(f[1]) : r.status === 0 ? 0 : 1;
}

if (only !== "e2e") runNode(unit, {}, "unit");
if (only !== "unit") for (const engine of engines) runNode(e2e, { OPENSSM_TEST_ENGINE: engine }, `e2e on ${engine}`);
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);

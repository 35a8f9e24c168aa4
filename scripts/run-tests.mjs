#!/usr/bin/env node
// Runs the test suite: unit tests once, then the end-to-end tests on SQLite and on PostgreSQL.
// Usage: node scripts/run-tests.mjs [unit|e2e] [--engine sqlite|postgres] [file filters or test files...]
//
// Each phase's output is shown as it runs. A phase fails when a test failed, was cancelled (a
// `before` hook that threw cancels the tests under it) or its process ended without node:test's
// summary or with a non-zero exit. The last line is always `N passed, N failed` (CI reads it).
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { missingPrerequisites } from "./test-prerequisites.mjs";

const root = new URL("..", import.meta.url).pathname;
const args = process.argv.slice(2);
const only = args[0] === "unit" || args[0] === "e2e" ? args.shift() : undefined;
let engines = ["sqlite", "postgres"];
const ei = args.indexOf("--engine");
if (ei >= 0) {
  engines = [args[ei + 1]];
  args.splice(ei, 2);
}
// A test file named outright runs even where discovery does not look (test/fixtures/).
const named = args.filter((a) => a.endsWith(".test.ts") && existsSync(resolve(a))).map((a) => relative(root, resolve(a)));
const filters = args.filter((a) => !named.includes(relative(root, resolve(a))));

/** Test files under `dir`; fixtures (test files that exist to be run by the runner's own tests) are not discovered. */
function find(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === "node_modules" || e === "fixtures") continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) find(p, out);
    else if (e.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out;
}

const all = [...find(join(root, "test")), ...find(join(root, "packages"))].sort();
const pick = (files) => {
  if (named.length) return files.filter((f) => named.includes(f));
  return filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;
};
const isE2e = (f) => f.startsWith("test/e2e/");
const unit = pick([...all, ...named.filter((f) => !all.includes(f))].filter((f) => !isE2e(f)));
const e2e = pick(all.filter(isE2e));

let passed = 0;
let failed = 0;
let stopping = false;

/** node:test's summary (`ℹ pass 3`, `ℹ fail 0`, `ℹ cancelled 1`, ...) from its spec reporter's lines. */
function summaryOf(line, into) {
  const m = /^ℹ (tests|pass|fail|cancelled|skipped|todo) (\d+)\s*$/.exec(line);
  if (m) into[m[1]] = Number(m[2]);
}

/** Runs node:test on `files`, echoing its output as it comes; resolves with what it counted. */
function runNode(files, env, label) {
  process.stdout.write(`\n== ${label}: ${files.length} files ==\n`);
  return new Promise((done) => {
    const child = spawn(
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
      // Its own process group, so that a stuck run can be ended with everything it started.
      { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"], detached: true },
    );
    const summary = {};
    let partial = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) summaryOf(line, summary);
    });
    const killGroup = () => {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    // A bound on a whole run, so a stuck suite fails CI instead of outliving it.
    const limit = Number(process.env.OPENSSM_TEST_RUN_TIMEOUT_MS ?? 35 * 60 * 1000);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, limit);
    const forward = () => {
      stopping = true;
      killGroup();
    };
    process.once("SIGINT", forward);
    process.once("SIGTERM", forward);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      summaryOf(partial, summary);
      const problems = [];
      if (timedOut) problems.push(`stopped after ${limit} ms (OPENSSM_TEST_RUN_TIMEOUT_MS)`);
      if (summary.pass === undefined) problems.push("ended without node:test's summary (crashed or killed)");
      if (summary.cancelled) problems.push(`${summary.cancelled} cancelled (a hook failed, or the file did not finish)`);
      const counted = (summary.fail ?? 0) + (summary.cancelled ?? 0);
      if (code !== 0 && counted === 0) problems.push(`exited with ${signal ?? code} though no test was counted failed`);
      const phaseFailed = counted + (counted === 0 && problems.length ? 1 : 0);
      passed += summary.pass ?? 0;
      failed += phaseFailed;
      const skipped = summary.skipped ? `, ${summary.skipped} skipped` : "";
      process.stdout.write(`\n${label}: ${summary.pass ?? 0} passed, ${phaseFailed} failed${skipped}${problems.length ? `: ${problems.join("; ")}` : ""}\n`);
      done();
    });
  });
}

const phases = [];
if (only !== "e2e" && unit.length) phases.push({ files: unit, env: {}, label: "unit" });
if (only !== "unit" && e2e.length) for (const engine of engines) phases.push({ files: e2e, env: { OPENSSM_TEST_ENGINE: engine }, label: `e2e on ${engine}` });

// What the end-to-end tests need, checked before anything runs rather than deep inside a test.
if (phases.some((p) => p.label.startsWith("e2e"))) {
  const missing = await missingPrerequisites({ postgres: phases.some((p) => p.env.OPENSSM_TEST_ENGINE === "postgres") });
  if (missing.length) {
    process.stdout.write(`\nThe end-to-end tests need what this machine lacks:\n${missing.map((m) => `  - ${m}`).join("\n")}\n`);
    process.stdout.write('(README.md, "Running the tests", lists what `npm test` needs.)\n');
    process.stdout.write(`\n0 passed, ${missing.length} failed\n`);
    process.exit(1);
  }
}

for (const phase of phases) {
  if (stopping) break;
  await runNode(phase.files, phase.env, phase.label);
}
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(failed > 0 || passed === 0 || stopping ? 1 : 0);

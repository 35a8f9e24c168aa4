import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../harness/paths.js";

/** `node scripts/run-tests.mjs <args>` to its end: exit code and what it printed. */
function runner(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv };
  // Set by node:test in the processes it runs (spawn leaves undefined values out): a nested run must be a run of its own.
  env.NODE_TEST_CONTEXT = undefined;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "scripts/run-tests.mjs"), ...args], { cwd: repoRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

const lastLine = (out: string) => out.trim().split("\n").at(-1);

describe("scripts/run-tests.mjs", () => {
  it("fails the run when a file's before() throws (its tests are cancelled, not passed)", async () => {
    const r = await runner(["unit", "test/fixtures/runner/before-throws.test.ts"]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(lastLine(r.out) ?? "", /^0 passed, [1-9]\d* failed$/, r.out);
    assert.match(r.out, /cancelled/);
  });

  it("fails the run when a test file's process ends before node:test reports", async () => {
    const r = await runner(["unit", "test/fixtures/runner/crashes.test.ts"]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(lastLine(r.out) ?? "", /^\d+ passed, [1-9]\d* failed$/, r.out);
  });

  it("passes a run whose tests pass, and streams the reporter's output", async () => {
    const r = await runner(["unit", "test/fixtures/runner/passes.test.ts"]);
    assert.equal(r.code, 0, r.out);
    assert.equal(lastLine(r.out), "1 passed, 0 failed");
    assert.match(r.out, /✔ passes/);
  });

  it("does not discover the fixtures on its own", async () => {
    const r = await runner(["unit", "before-throws"]);
    assert.doesNotMatch(r.out, /== unit/, r.out);
    assert.notEqual(r.code, 0, "a run that ran nothing does not pass");
  });

  it("says what the end-to-end tests need and how to install it, before running any", async () => {
    const r = await runner(["e2e", "--engine", "sqlite", "first-use"], {
      OPENSSM_TEST_AWS_CLI: "/nonexistent/aws",
      OPENSSM_TEST_PYTHON: "/nonexistent/python3",
    });
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /the aws CLI v2 at \/nonexistent\/aws .*apt-get install awscli/);
    assert.match(r.out, /python3 .*boto3: apt-get install python3 python3-boto3/);
    assert.doesNotMatch(r.out, /== e2e/, "no test ran");
    assert.match(lastLine(r.out) ?? "", /^0 passed, 2 failed$/);
  });
});

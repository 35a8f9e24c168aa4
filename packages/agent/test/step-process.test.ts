import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isAlive, StepProcess } from "../src/exec/step-process.js";

const root = mkdtempSync(join(tmpdir(), "agent-step-"));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const start = (script: string, timeoutMs = 30_000) => StepProcess.start({ dir: join(root, String(++n)), script, cwd: root, env: process.env, timeoutMs });

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("exit codes and output files", async () => {
  const p = start("echo out\necho err >&2\nexit 7\n");
  assert.deepEqual(await p.wait(), { kind: "exited", exitCode: 7 });
  assert.equal(readFileSync(p.stdoutPath, "utf8"), "out\n");
  assert.equal(readFileSync(p.stderrPath, "utf8"), "err\n");
});

test("a #! line is honoured", async () => {
  const p = start("#!/bin/sh\necho shebang\n");
  assert.deepEqual(await p.wait(), { kind: "exited", exitCode: 0 });
  assert.equal(readFileSync(p.stdoutPath, "utf8"), "shebang\n");
});

test("timeout and cancel kill the whole process group", async () => {
  const t = start("sleep 30 & echo $! > child.pid; wait", 300);
  assert.deepEqual(await t.wait(), { kind: "timeout" });
  const c = start("sleep 30 & echo $! > child.pid; wait");
  const pidFile = join(root, "child.pid");
  await until(() => {
    try {
      return readFileSync(pidFile, "utf8").trim().length > 0;
    } catch {
      return false;
    }
  });
  const child = Number(readFileSync(pidFile, "utf8"));
  c.kill("cancelled");
  assert.deepEqual(await c.wait(), { kind: "cancelled" });
  await until(() => !isAlive({ pid: child, startedAt: 0, deadline: 0 }));
});

test("a restarted agent reattaches to a running step and sees its exit code", async () => {
  const first = start("sleep 0.5\necho done\nexit 3\n");
  const again = StepProcess.reattach(first.dir, first.ref);
  assert.deepEqual(await again.wait(), { kind: "exited", exitCode: 3 });
  assert.equal(readFileSync(again.stdoutPath, "utf8"), "done\n");
  await first.wait();
});

test("a step whose process vanished without an exit code is lost", async () => {
  const p = start("sleep 30\n");
  process.kill(-p.ref.pid, "SIGKILL");
  await p.wait();
  const again = StepProcess.reattach(p.dir, p.ref);
  assert.equal((await again.wait()).kind, "lost");
});

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { combinedOutput, completeUtf8Length, OutputStream } from "../src/exec/output-stream.js";
import { runInline } from "../src/plugins/inline-shell.js";
import { executionTimeoutSeconds } from "../src/plugins/run-shell-script.js";

test("pieces carry their offsets; the head is the first cap characters", () => {
  const s = new OutputStream(5, 1000);
  s.feed("hello ");
  s.feed("world");
  assert.equal(s.head, "hello");
  assert.deepEqual(s.takePiece(4), { offset: 0, text: "hell" });
  assert.deepEqual(s.takePiece(100), { offset: 4, text: "o world" });
  assert.equal(s.takePiece(100), undefined);
  assert.equal(s.progress.unitsSent, 11);
});

test("pieces stay under a JSON size budget", () => {
  const s = new OutputStream(10, 1_000_000);
  s.feed("\u0001".repeat(10_000));
  const p = s.takePiece(10_000, 20_000);
  assert.ok(p);
  assert.ok(Buffer.byteLength(JSON.stringify(p.text)) <= 20_000);
});

test("reading a file resumes at whole characters and from a checkpoint", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-out-"));
  try {
    const f = join(dir, "stdout");
    const euro = Buffer.from("€", "utf8");
    writeFileSync(f, Buffer.concat([Buffer.from("ab"), euro.subarray(0, 2)]));
    const s = new OutputStream(100, 1000);
    await s.readFrom(f);
    assert.deepEqual(s.takePiece(100), { offset: 0, text: "ab" });
    appendFileSync(f, Buffer.concat([euro.subarray(2), Buffer.from("cd")]));
    await s.readFrom(f);
    assert.deepEqual(s.takePiece(100), { offset: 2, text: "€cd" });
    // a new agent process picks up at the checkpoint
    const again = new OutputStream(100, 1000, { ...s.progress });
    appendFileSync(f, "ef");
    await again.readFrom(f);
    assert.deepEqual(again.takePiece(100), { offset: 5, text: "ef" });
    assert.equal(again.head, "ab€cdef");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("utf-8 boundaries", () => {
  assert.equal(completeUtf8Length(Buffer.from("abc")), 3);
  assert.equal(completeUtf8Length(Buffer.from("a€").subarray(0, 3)), 1);
  assert.equal(completeUtf8Length(Buffer.from("a€")), 4);
});

test("combined output as the agent builds it", () => {
  assert.equal(combinedOutput("out", ""), "out");
  assert.equal(combinedOutput("out", "err"), "out\n----------ERROR-------\nerr");
  assert.equal(combinedOutput("x".repeat(3000), "").length, 2500);
});

test("inline echo scripts, and what is left to a shell", () => {
  assert.deepEqual(runInline(["echo hello", 'echo "a  b"', "echo 'c'"]), { stdout: "hello\na  b\nc\n", exitCode: 0 });
  assert.deepEqual(runInline(["echo x", "exit 3", "echo never"]), { stdout: "x\n", exitCode: 3 });
  assert.equal(runInline(["echo $HOME"]), undefined);
  assert.equal(runInline(["ls"]), undefined);
  assert.equal(runInline(["echo a | tr a b"]), undefined);
});

test("timeoutSeconds as the agent reads it", () => {
  assert.equal(executionTimeoutSeconds("60"), 60);
  assert.equal(executionTimeoutSeconds(["120"]), 120);
  assert.equal(executionTimeoutSeconds("3"), 3600);
  assert.equal(executionTimeoutSeconds(undefined), 3600);
  assert.equal(executionTimeoutSeconds(999999), 3600);
});

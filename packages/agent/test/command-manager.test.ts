import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { CommandManager } from "../src/commands/command-manager.js";
import { FileCommandStore } from "../src/commands/command-store.js";
import { MemoryReplyStore, ReplyQueue } from "../src/transport/reply-queue.js";
import { testRunnerEnv } from "./runner-env.js";

function manager(dir: string) {
  const log = pino({ level: "silent" });
  const replies = new ReplyQueue(new MemoryReplyStore(), log);
  const store = new FileCommandStore(join(dir, "commands"));
  const m = new CommandManager(testRunnerEnv(dir, { log, replies, store }), { maxConcurrent: 2, retentionMs: 60_000 });
  return { m, replies, store };
}

const job = (commandId: string) => ({
  messageId: `aws.ssm.${commandId}.mi-0123456789abcdef0`,
  topic: "aws.ssm.sendCommand",
  content: JSON.stringify({
    CommandId: commandId,
    DocumentName: "AWS-RunShellScript",
    DocumentContent: { schemaVersion: "2.2", mainSteps: [{ action: "aws:runShellScript", name: "s", inputs: { runCommand: ["echo hi"] } }] },
    Parameters: {},
  }),
});

test("a job is saved before it is acknowledged, and never taken twice, even by a new agent process", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-mgr-"));
  try {
    const a = manager(dir);
    const v = a.m.receive(job("11111111-1111-1111-1111-111111111111"));
    assert.equal(v.kind, "accepted");
    assert.equal(a.store.get("11111111-1111-1111-1111-111111111111")?.state, "running");
    assert.equal(a.m.receive(job("11111111-1111-1111-1111-111111111111")).kind, "duplicate");
    if (v.kind === "accepted") a.m.accepted(v);
    await a.m.whenIdle();
    assert.equal(a.store.get("11111111-1111-1111-1111-111111111111")?.documentStatus, "Success");
    assert.equal(a.replies.size, 1, "a command over within 250 ms sends only its final reply");
    const b = manager(dir);
    assert.equal(b.m.receive(job("11111111-1111-1111-1111-111111111111")).kind, "duplicate");
    assert.equal(b.m.resume(), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("unreadable jobs are refused; a cancel that overtakes its command cancels it on arrival", async () => {
  const dir = mkdtempSync(join(tmpdir(), "agent-mgr-"));
  try {
    const { m, store } = manager(dir);
    assert.equal(m.receive({ messageId: "aws.ssm.x.mi-0123456789abcdef0", topic: "aws.ssm.sendCommand", content: "{" }).kind, "invalid");
    const cancel = m.receive({
      messageId: "aws.ssm.22222222-0000-0000-0000-000000000000.mi-0123456789abcdef0",
      topic: "aws.ssm.cancelCommand",
      content: JSON.stringify({ CancelMessageId: "aws.ssm.33333333-3333-3333-3333-333333333333.mi-0123456789abcdef0" }),
    });
    assert.equal(cancel.kind, "accepted");
    if (cancel.kind === "accepted") m.accepted(cancel);
    const v = m.receive(job("33333333-3333-3333-3333-333333333333"));
    if (v.kind === "accepted") m.accepted(v);
    await m.whenIdle();
    assert.equal(store.get("33333333-3333-3333-3333-333333333333")?.documentStatus, "Cancelled");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

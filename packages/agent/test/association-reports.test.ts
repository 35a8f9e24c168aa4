import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import pino from "pino";
import { AssociationProcessor } from "../src/associations/processor.js";
import { FileCommandStore } from "../src/commands/command-store.js";
import { MemoryReplyStore, ReplyQueue } from "../src/transport/reply-queue.js";
import { testRunnerEnv } from "./runner-env.js";

const DOCUMENT = JSON.stringify({
  schemaVersion: "2.2",
  mainSteps: [{ action: "aws:runShellScript", name: "run", inputs: { runCommand: ["echo applied"] } }],
});

/**
 * The server lists a run as Pending only until the node reports it InProgress. An outcome whose
 * report failed is therefore never offered again by the listing: the processor must send it again by
 * itself, at its next listing, and after a restart too.
 */
test("an outcome whose report failed is sent again at the next listings, and after a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "association-reports-"));
  const log = pino({ level: "silent" });
  const reports: string[] = [];
  let failFinal = 2;
  let listed: "Pending" | "InProgress" = "Pending";
  const ssm = async (operation: string, input: any): Promise<any> => {
    if (operation === "ListInstanceAssociations") {
      return {
        Associations: [
          listed === "Pending"
            ? { AssociationId: "a-1", AssociationVersion: "1", Name: "Doc", ExecutionId: "run-1", DetailedStatus: "Pending" }
            : { AssociationId: "a-1", AssociationVersion: "1", Name: "Doc", DetailedStatus: "InProgress" },
        ],
      };
    }
    if (operation === "GetDocument") return { Content: DOCUMENT };
    if (operation === "UpdateInstanceAssociationStatus") {
      const status = input.ExecutionResult.Status as string;
      if (status === "InProgress") listed = "InProgress";
      else if (failFinal-- > 0) throw new Error("the server is away");
      reports.push(status);
      return {};
    }
    throw new Error(`unexpected ${operation}`);
  };
  const processor = () =>
    new AssociationProcessor({
      env: testRunnerEnv(dir, {
        log,
        replies: new ReplyQueue(new MemoryReplyStore(), log),
        store: new FileCommandStore(join(dir, "commands")),
        ssm: ssm as never,
      }),
      dataDir: dir,
      intervalMs: 3_600_000,
      log,
    });
  try {
    const first = processor();
    first.start();
    await first.idle();
    // applied once; its outcome could not be reported
    assert.deepEqual(reports, ["InProgress"]);
    first.refresh();
    await first.idle();
    // the listing says InProgress, not Pending: still sent again, failed again
    assert.deepEqual(reports, ["InProgress"]);
    first.stop();
    const second = processor();
    second.start();
    await second.idle();
    // after a restart the outcome goes out at the first listing, and the run is not applied twice
    assert.deepEqual(reports, ["InProgress", "Success"]);
    second.refresh();
    await second.idle();
    assert.deepEqual(reports, ["InProgress", "Success"]);
    second.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from "node:assert/strict";
import { test } from "node:test";
import { assembleOutput, composeSummary, truncateSummary } from "../../packages/server/src/capabilities/commands/output-pieces.js";
import { concurrencyLimit, errorLimit, nextRolloutStep } from "../../packages/server/src/capabilities/commands/rate-control.js";
import {
  commandStatus,
  countInvocations,
  invocationFromDocumentStatus,
  invocationStatus,
  pluginFromAgentStatus,
} from "../../packages/server/src/capabilities/commands/statuses.js";

const inv = (details: string, dispatched = true) => ({ details, dispatched });

test("invocation StatusDetails map to AWS's Status values", () => {
  assert.deepEqual(invocationStatus("DeliveryTimedOut"), { status: "TimedOut", details: "DeliveryTimedOut" });
  assert.deepEqual(invocationStatus("ExecutionTimedOut"), { status: "TimedOut", details: "ExecutionTimedOut" });
  assert.deepEqual(invocationStatus("Canceled"), { status: "Cancelled", details: "Canceled" });
  assert.deepEqual(invocationStatus("Undeliverable"), { status: "Failed", details: "Undeliverable" });
  assert.deepEqual(invocationStatus("Terminated"), { status: "Cancelled", details: "Terminated" });
  assert.deepEqual(invocationStatus("Delayed"), { status: "Delayed", details: "Delayed" });
});

test("the agent's document and plugin statuses", () => {
  assert.equal(invocationFromDocumentStatus("InProgress"), "InProgress");
  assert.equal(invocationFromDocumentStatus("SuccessAndReboot"), "InProgress");
  assert.equal(invocationFromDocumentStatus("Success"), "Success");
  assert.equal(invocationFromDocumentStatus("TimedOut"), "ExecutionTimedOut");
  assert.equal(invocationFromDocumentStatus("Cancelled"), "Canceled");
  assert.equal(invocationFromDocumentStatus("Failed"), "Failed");
  assert.deepEqual(pluginFromAgentStatus("Skipped"), { status: "Success", details: "Skipped", terminal: true });
  assert.deepEqual(pluginFromAgentStatus("InProgress"), { status: "InProgress", details: "InProgress", terminal: false });
});

test("command status while invocations are open", () => {
  assert.deepEqual(commandStatus({ invocations: [inv("Pending", false)], cancelRequested: false, maxErrors: 0 }), { status: "Pending", details: "Pending" });
  assert.deepEqual(commandStatus({ invocations: [inv("InProgress"), inv("Pending", false)], cancelRequested: false, maxErrors: 0 }), {
    status: "InProgress",
    details: "InProgress",
  });
  assert.deepEqual(commandStatus({ invocations: [inv("Cancelling")], cancelRequested: true, maxErrors: 0 }), { status: "Cancelling", details: "Cancelling" });
});

test("final command status follows MaxErrors and the kinds of failure", () => {
  const s = (details: string[], maxErrors = 0, cancelRequested = false) =>
    commandStatus({ invocations: details.map((d) => inv(d)), cancelRequested, maxErrors });
  assert.deepEqual(s(["Success", "Success"]), { status: "Success", details: "Success" });
  assert.deepEqual(s(["Success", "Failed"]), { status: "Failed", details: "Failed" });
  assert.deepEqual(s(["Success", "Failed"], 1), { status: "Failed", details: "Incomplete" });
  assert.deepEqual(s(["ExecutionTimedOut", "Success"]), { status: "TimedOut", details: "ExecutionTimedOut" });
  assert.deepEqual(s(["DeliveryTimedOut", "DeliveryTimedOut"]), { status: "TimedOut", details: "DeliveryTimedOut" });
  assert.deepEqual(s(["DeliveryTimedOut", "Success"]), { status: "Failed", details: "Incomplete" });
  assert.deepEqual(s(["Success", "Undeliverable"]), { status: "Success", details: "Success" });
  assert.deepEqual(s(["Success", "Canceled"], 0, true), { status: "Cancelled", details: "Cancelled" });
  assert.deepEqual(s(["Failed", "Failed", "Terminated"], 1), { status: "Failed", details: "Failed" });
  assert.deepEqual(s([]), { status: "Failed", details: "NoInstancesInTag" });
});

test("counts: completed, errors (Failed and ExecutionTimedOut), delivery timeouts", () => {
  const counts = countInvocations(["Success", "Failed", "ExecutionTimedOut", "DeliveryTimedOut", "InProgress", "Terminated"].map((d) => inv(d)));
  assert.deepEqual(counts, { targetCount: 6, completedCount: 5, errorCount: 2, deliveryTimedOutCount: 1 });
});

test("a tally counted by the database (one summary per state, with its count) decides as the invocations one by one do", () => {
  const kinds = ["Success", "Failed", "ExecutionTimedOut", "DeliveryTimedOut", "Undeliverable", "Canceled", "InProgress", "Pending"];
  // Every multiset of up to 3 invocations over these states, weighted: the verdicts must agree.
  const expand = (t: { details: string; dispatched: boolean; count: number }[]) =>
    t.flatMap((x) => Array.from({ length: x.count }, () => inv(x.details, x.dispatched)));
  for (const a of kinds)
    for (const b of kinds)
      for (const [na, nb] of [
        [1, 0],
        [2, 3],
        [0, 4],
        [5, 1],
      ]) {
        const tally = [
          { details: a, dispatched: a !== "Pending", count: na },
          { details: b, dispatched: b !== "Pending", count: nb },
        ];
        for (const maxErrors of [0, 2]) {
          for (const cancelRequested of [false, true]) {
            const facts = { cancelRequested, maxErrors };
            assert.deepEqual(commandStatus({ ...facts, invocations: tally }), commandStatus({ ...facts, invocations: expand(tally) }), `${a}×${na} ${b}×${nb}`);
          }
        }
        assert.deepEqual(countInvocations(tally), countInvocations(expand(tally)));
      }
  assert.deepEqual(countInvocations([{ details: "Success", dispatched: true, count: 9999 }, inv("Failed")]), {
    targetCount: 10000,
    completedCount: 10000,
    errorCount: 1,
    deliveryTimedOutCount: 0,
  });
});

test("MaxConcurrency and MaxErrors as numbers and percentages", () => {
  assert.equal(concurrencyLimit("50", 3), 50);
  assert.equal(concurrencyLimit("10%", 50), 5);
  assert.equal(concurrencyLimit("10%", 3), 1);
  assert.equal(concurrencyLimit("100%", 7), 7);
  assert.equal(errorLimit("0", 10), 0);
  assert.equal(errorLimit("10%", 50), 5);
  assert.equal(errorLimit("10%", 15), 1);
  assert.throws(() => concurrencyLimit("ten", 3));
});

test("rate control starts as slots free up and stops past MaxErrors or after a cancel", () => {
  assert.deepEqual(nextRolloutStep({ notStarted: 5, inFlight: 0, errors: 0, cancelRequested: false }, 2, 0), { start: 2 });
  assert.deepEqual(nextRolloutStep({ notStarted: 3, inFlight: 2, errors: 0, cancelRequested: false }, 2, 0), { start: 0 });
  assert.deepEqual(nextRolloutStep({ notStarted: 3, inFlight: 1, errors: 0, cancelRequested: false }, 2, 0), { start: 1 });
  assert.deepEqual(nextRolloutStep({ notStarted: 3, inFlight: 1, errors: 1, cancelRequested: false }, 2, 0), { stop: "Terminated" });
  assert.deepEqual(nextRolloutStep({ notStarted: 3, inFlight: 1, errors: 1, cancelRequested: false }, 2, 1), { start: 1 });
  assert.deepEqual(nextRolloutStep({ notStarted: 3, inFlight: 0, errors: 0, cancelRequested: true }, 2, 0), { stop: "Canceled" });
  assert.deepEqual(nextRolloutStep({ notStarted: 0, inFlight: 1, errors: 5, cancelRequested: false }, 2, 0), { start: 0 });
});

test("output pieces assemble in any order, repeated and overlapping, up to the first gap", () => {
  const whole = "abcdefghij";
  assert.equal(
    assembleOutput([
      { position: 6, text: "ghij" },
      { position: 0, text: "abc" },
      { position: 3, text: "def" },
      { position: 3, text: "def" },
    ]),
    whole,
  );
  assert.equal(
    assembleOutput([
      { position: 0, text: "abcdef" },
      { position: 3, text: "defgh" },
    ]),
    "abcdefgh",
  );
  assert.equal(
    assembleOutput([
      { position: 0, text: "abc" },
      { position: 5, text: "fg" },
    ]),
    "abc",
  );
  assert.equal(assembleOutput([{ position: 0, text: whole }], 4), "abcd");
});

test("summaries are cut at 2,500 characters and join stdout and stderr as the agent does", () => {
  assert.equal(composeSummary("out\n", "err\n"), "out\n----------ERROR-------\nerr\n");
  const long = truncateSummary("x".repeat(3000));
  assert.equal(long.length, 2500);
  assert.ok(long.endsWith("---Output truncated---"));
});

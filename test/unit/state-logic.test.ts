import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { outcome } from "../../packages/agent/src/associations/processor.js";
import type { CommandRecord } from "../../packages/agent/src/commands/command-record.js";
import { concurrencyLimit, errorLimit, nextRun } from "../../packages/server/src/capabilities/associations/spec.js";
import { compareValues, satisfies } from "../../packages/server/src/capabilities/inventory/compare.js";
import { hasKey } from "../../packages/server/src/capabilities/inventory/store.js";
import { keyValues } from "../../packages/server/src/capabilities/inventory/tables.js";

describe("inventory value comparisons", () => {
  it("compares versions number by number and numbers as numbers", () => {
    assert.ok(compareValues("1.1.1f", "3.0.2") < 0);
    assert.ok(compareValues("3.0.13", "3.0.2") > 0);
    assert.ok(compareValues("9", "10") < 0);
    assert.ok(compareValues("1.0.2k", "1.0.2l") < 0);
    assert.equal(compareValues("2.0", "2.0"), 0);
  });
  it("applies the filter types to one value", () => {
    assert.ok(satisfies("openssl", "Equal", ["curl", "openssl"]));
    assert.ok(satisfies("openssl", "NotEqual", ["curl"]));
    assert.ok(!satisfies("openssl", "NotEqual", ["openssl"]));
    assert.ok(satisfies("openssl", "BeginWith", ["open"]));
    assert.ok(satisfies("1.1.1f", "LessThan", ["3.0.5"]));
    assert.ok(!satisfies(undefined, "LessThan", ["3.0.5"]));
    assert.ok(satisfies("3.0.13", "GreaterThan", ["3.0.5"]));
    assert.ok(satisfies("x", "Exists", []));
    assert.ok(!satisfies("", "Exists", []));
  });
});

describe("association pacing and schedules", () => {
  it("MaxConcurrency and MaxErrors as counts and percentages", () => {
    assert.equal(concurrencyLimit(undefined, 40), 40);
    assert.equal(concurrencyLimit("10%", 2), 1);
    assert.equal(concurrencyLimit("10%", 50), 5);
    assert.equal(concurrencyLimit("3", 50), 3);
    assert.equal(errorLimit(undefined, 10), Number.POSITIVE_INFINITY);
    assert.equal(errorLimit("5", 10), 5);
    assert.equal(errorLimit("10%", 25), 2);
  });
  it("rate schedules count from the last application; cron and at from the expression", () => {
    const t = Date.UTC(2026, 0, 1, 10, 7);
    assert.equal(nextRun({ ScheduleExpression: "rate(30 minutes)" }, t, t), t + 30 * 60_000);
    assert.equal(nextRun({ ScheduleExpression: "rate(30 minutes)" }, t + 95 * 60_000, t), t + 120 * 60_000);
    assert.equal(nextRun({ ScheduleExpression: "cron(0 */4 * * ? *)" }, t, t), Date.UTC(2026, 0, 1, 12, 0));
    assert.equal(nextRun({ ScheduleExpression: "cron(0 2 ? * * *)", ScheduleOffset: 2 }, t, t), Date.UTC(2026, 0, 2, 2, 0));
    assert.equal(nextRun({ ScheduleExpression: "at(2026-02-01T00:00:00)" }, t, t), Date.UTC(2026, 1, 1));
    assert.equal(nextRun({}, t, t), undefined);
  });
});

describe("the agent's account of an association run", () => {
  const record = (steps: Partial<CommandRecord["steps"][number]>[], documentStatus?: string): CommandRecord =>
    ({
      commandId: "c",
      messageId: "association.a.1",
      documentName: "AWS-RunShellScript",
      payload: {},
      receivedAt: 0,
      state: "done",
      documentStatus,
      steps: steps.map((s, i) => ({ id: `s${i}`, action: "aws:runShellScript", status: "", code: 0, output: "", startDateTime: "", endDateTime: "", ...s })),
    }) as CommandRecord;
  it("words it as amazon-ssm-agent does, with the output, within 512 characters", () => {
    const ok = outcome(record([{ status: "Success", standardOutput: "done\n" }], "Success"));
    assert.equal(ok.status, "Success");
    assert.match(ok.summary, /^1 out of 1 plugin processed, 1 success, 0 failed, 0 timedout, 0 skipped\.\ndone$/);
    const failed = outcome(record([{ status: "Failed", code: 3, standardError: "boom" }], "Failed"));
    assert.equal(failed.status, "Failed");
    assert.equal(failed.errorCode, "1");
    assert.match(failed.summary, /The operation s0 failed because boom\./);
    assert.ok(outcome(record([{ status: "Success", standardOutput: "x".repeat(2000) }], "Success")).summary.length <= 512);
  });
});

describe("Inventory key values: one string per node and type that key filters decide on", () => {
  it("holds each value once, exactly: Equal matches whole values, BeginWith their starts", () => {
    const keys = keyValues(["openssl", "libssl3", "openssl", undefined, "zlib1g"]);
    assert.equal(keys, "\u0001openssl\u0001libssl3\u0001zlib1g\u0001");
    assert.ok(hasKey(keys, "openssl"));
    assert.ok(!hasKey(keys, "open"));
    assert.ok(!hasKey(keys, "ssl"));
    assert.ok(hasKey(keys, "open", true));
    assert.ok(hasKey(keys, "libssl", true));
    assert.ok(!hasKey(keys, "ssl", true));
    assert.ok(!hasKey(keys, "OpenSSL"));
    assert.equal(keyValues([]), "");
    assert.ok(!hasKey("", "openssl", true));
    // A value holding the separator cannot split into two.
    assert.ok(hasKey(keyValues(["a\u0001b"]), "a\u0001b"));
    assert.ok(!hasKey(keyValues(["a\u0001b"]), "a"));
  });
});

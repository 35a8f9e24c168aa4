import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CliError } from "../../packages/cli/src/errors.js";
import { checkAccountId, checkName, checkPath } from "../../packages/cli/src/iam/common.js";
import { parseTags, readPolicyDocument } from "../../packages/cli/src/iam/parse.js";
import { formatTable, parseLimit, parseTime } from "../../packages/cli/src/time.js";

const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof CliError && e.exitCode === 2 && re.test(e.message));

describe("openssm command-line parsing", () => {
  it("times: ISO-8601, epoch seconds and durations back from now", () => {
    const now = Date.parse("2026-06-01T12:00:00Z");
    assert.equal(parseTime("--since", "-1h", now), now - 3_600_000);
    assert.equal(parseTime("--since", "30m", now), now - 1_800_000);
    assert.equal(parseTime("--since", "-2d", now), now - 2 * 86_400_000);
    assert.equal(parseTime("--since", "2026-01-31T10:00:00Z", now), Date.parse("2026-01-31T10:00:00Z"));
    assert.equal(parseTime("--since", "1767225600", now), 1_767_225_600_000);
    usage(() => parseTime("--since", "last tuesday", now), /--since 'last tuesday' is not a time/);
  });

  it("limits", () => {
    assert.equal(parseLimit(undefined, 100), 100);
    assert.equal(parseLimit("5", 100), 5);
    usage(() => parseLimit("0", 100), /--limit/);
    usage(() => parseLimit("many", 100), /--limit/);
  });

  it("tags as k=v or the AWS CLI's Key=,Value= shorthand", () => {
    assert.deepEqual(parseTags(["Team=ops", "Key=SSMSessionRunAs,Value=alice", "empty="]), { Team: "ops", SSMSessionRunAs: "alice", empty: "" });
    assert.deepEqual(parseTags(["url=https://x/?a=b"]), { url: "https://x/?a=b" });
    usage(() => parseTags(["novalue"]), /key=value/);
    usage(() => parseTags(["aws:owner=x"]), /reserved prefix/);
    usage(() => parseTags([`${"k".repeat(129)}=v`]), /1 to 128/);
  });

  it("names, paths and account ids as IAM allows them", () => {
    assert.equal(checkName("user", "alice.smith+ops@example"), "alice.smith+ops@example");
    usage(() => checkName("user", "bad name"), /--user-name 'bad name' is invalid/);
    usage(() => checkName("role", "x".repeat(65)), /--role-name/);
    assert.equal(checkPath(undefined), "/");
    assert.equal(checkPath("/engineering/ops/"), "/engineering/ops/");
    usage(() => checkPath("engineering"), /must begin and end with \//);
    assert.equal(checkAccountId("123456789012"), "123456789012");
    usage(() => checkAccountId("1234"), /12 digits/);
  });

  it("policy documents as JSON text or file://, checked before they are stored", () => {
    const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: "*" }] };
    assert.deepEqual(readPolicyDocument(JSON.stringify(doc)), doc);
    const dir = mkdtempSync(join(tmpdir(), "openssm-cli-"));
    try {
      writeFileSync(join(dir, "p.json"), JSON.stringify(doc));
      assert.deepEqual(readPolicyDocument(`file://${join(dir, "p.json")}`), doc);
      usage(() => readPolicyDocument(`file://${join(dir, "missing.json")}`), /cannot read the policy document/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    usage(() => readPolicyDocument("{nope"), /MalformedPolicyDocument: the policy document is not valid JSON/);
    usage(() => readPolicyDocument('{"Statement":[{"Effect":"Allow","Action":"*"}]}'), /MalformedPolicyDocument: Statement 1: needs exactly one of Resource/);
  });

  it("tables pad every column but the last", () => {
    assert.equal(
      formatTable(
        ["A", "BB", "C"],
        [
          ["xxx", "y", "z z"],
          ["1", "22", "3"],
        ],
      ),
      "A    BB  C\nxxx  y   z z\n1    22  3\n",
    );
  });
});

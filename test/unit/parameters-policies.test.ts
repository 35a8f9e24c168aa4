import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { carryPolicies, nextPolicyAt, parsePolicies, parsePolicyTimestamp, policyDueAt } from "../../packages/server/src/capabilities/parameters/policies.js";

const NOW = Date.parse("2026-01-01T00:00:00Z");
const DAY = 86_400_000;
const code = (name: string) => ({ code: name }) as object;
const expiration = (ts: string) => ({ Type: "Expiration", Version: "1.0", Attributes: { Timestamp: ts } });
const notify = (Before: string, Unit = "Days") => ({ Type: "ExpirationNotification", Version: "1.0", Attributes: { Before, Unit } });
const noChange = (After: string, Unit = "Days") => ({ Type: "NoChangeNotification", Version: "1.0", Attributes: { After, Unit } });
const parse = (policies: unknown) => parsePolicies(JSON.stringify(policies), NOW);

describe("parameter policies", () => {
  it("parses AWS's timestamp formats", () => {
    assert.equal(parsePolicyTimestamp("2026-12-02T21:34:33.000Z"), Date.parse("2026-12-02T21:34:33Z"));
    assert.equal(parsePolicyTimestamp("2026-11-01T22:13:48.87+10:30:00"), Date.parse("2026-11-01T22:13:48.870+10:30"));
    assert.equal(parsePolicyTimestamp("2026-11-01T22:13:48+02:00"), Date.parse("2026-11-01T20:13:48Z"));
    assert.equal(parsePolicyTimestamp("2026-11-01"), undefined);
    assert.equal(parsePolicyTimestamp("tomorrow"), undefined);
  });

  it("accepts AWS's documented example and computes due times", () => {
    const p = parse([expiration("2026-01-31T00:00:00.000Z"), notify("30"), notify("15"), noChange("20")]);
    assert.deepEqual(
      p.map((x) => [x.type, x.status]),
      [
        ["Expiration", "Pending"],
        ["ExpirationNotification", "Pending"],
        ["ExpirationNotification", "Pending"],
        ["NoChangeNotification", "Pending"],
      ],
    );
    const exp = Date.parse("2026-01-31T00:00:00Z");
    assert.equal(policyDueAt(p[0], p, NOW), exp);
    assert.equal(policyDueAt(p[1], p, NOW), exp - 30 * DAY);
    assert.equal(policyDueAt(p[3], p, NOW), NOW + 20 * DAY);
    assert.equal(nextPolicyAt(p, NOW), exp - 30 * DAY);
    assert.equal(JSON.parse(p[1].text).Attributes.Before, "30");
  });

  it("treats [{}] and [] as removing every policy", () => {
    assert.deepEqual(parse([{}]), []);
    assert.deepEqual(parse([]), []);
    assert.equal(nextPolicyAt([], NOW), null);
  });

  it("refuses what AWS refuses", () => {
    assert.throws(() => parsePolicies("not json", NOW), code("ValidationException"));
    assert.throws(() => parse([{ Type: "Rotation", Version: "1.0", Attributes: {} }]), code("InvalidPolicyTypeException"));
    assert.throws(() => parse([{ Version: "1.0", Attributes: {} }]), code("InvalidPolicyTypeException"));
    // An element that is no policy object at all: AWS's text for the type error, then which element and why.
    for (const [element, kind] of [
      ["x", 'the string "x"'],
      [7, "the number 7"],
      [null, "null"],
      [[], "a list"],
    ] as const) {
      assert.throws(() => parse([{ Type: "Expiration", Version: "1.0", Attributes: { Timestamp: "2999-01-01T00:00:00Z" } }, element]), {
        code: "InvalidPolicyTypeException",
        message: `The policy type isn't supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification. (policy 2 is ${kind}, not a policy object such as {"Type":"Expiration","Version":"1.0","Attributes":{...}})`,
      });
    }
    assert.throws(() => parse([{ ...expiration("2026-02-01T00:00:00Z"), Version: "2.0" }]), code("InvalidPolicyAttributeException"));
    assert.throws(() => parse([expiration("2025-01-01T00:00:00Z")]), code("InvalidPolicyAttributeException"));
    assert.throws(() => parse([expiration("soon")]), code("InvalidPolicyAttributeException"));
    assert.throws(() => parse([expiration("2026-02-01T00:00:00Z"), notify("0")]), code("InvalidPolicyAttributeException"));
    assert.throws(() => parse([expiration("2026-02-01T00:00:00Z"), notify("5", "Weeks")]), code("InvalidPolicyAttributeException"));
    assert.throws(
      () => parse([noChange("5"), { ...noChange("1"), Attributes: { After: "1", Unit: "Days", Extra: 1 } }]),
      code("InvalidPolicyAttributeException"),
    );
    assert.throws(() => parse([expiration("2026-02-01T00:00:00Z"), expiration("2026-03-01T00:00:00Z")]), code("IncompatiblePolicyException"));
    assert.throws(() => parse([noChange("1"), noChange("2")]), code("IncompatiblePolicyException"));
    assert.throws(() => parse([notify("1")]), code("IncompatiblePolicyException"));
    assert.throws(() => parse(Array.from({ length: 11 }, () => notify("1"))), code("PoliciesLimitExceededException"));
  });

  it("restarts NoChangeNotification when the parameter changes", () => {
    const p = parse([noChange("1", "Hours")]).map((x) => ({ ...x, status: "Finished" as const }));
    assert.equal(nextPolicyAt(p, NOW), null);
    const carried = carryPolicies(p);
    assert.equal(carried[0].status, "Pending");
    assert.equal(nextPolicyAt(carried, NOW + DAY), NOW + DAY + 3_600_000);
  });
});

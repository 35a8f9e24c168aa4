import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkFilters, matches } from "../../packages/server/src/capabilities/parameters/filters.js";
import {
  arnResource,
  checkNewName,
  checkPath,
  isValidLabel,
  nameKey,
  parentPath,
  parseReference,
} from "../../packages/server/src/capabilities/parameters/names.js";
import { resolveTier } from "../../packages/server/src/capabilities/parameters/tiers.js";

const PREFIX = "arn:aws:ssm:us-east-1:123456789012:parameter/";
const scope = { accountId: "123456789012", region: "us-east-1" };
const code = (name: string) => ({ code: name }) as object;

describe("parameter names", () => {
  it("gives root names one identity with or without the slash", () => {
    assert.equal(nameKey("foo"), "/foo");
    assert.equal(nameKey("/foo"), "/foo");
    assert.equal(nameKey("/a/b"), "/a/b");
    assert.equal(parentPath("/a/b/c"), "/a/b");
    assert.equal(parentPath("/foo"), "/");
    assert.equal(arnResource("/a/b"), "parameter/a/b");
    assert.equal(arnResource("/foo"), "parameter/foo");
  });

  it("checks new names as AWS does", () => {
    assert.equal(checkNewName(" /a/b ", PREFIX), "/a/b");
    assert.equal(checkNewName("plain.name_1-x", PREFIX), "plain.name_1-x");
    for (const bad of ["a b", "a/b", "/a//b", "/a/", "ssm1", "/SSM/x", "/a/b*c", "", "arn:aws:ssm:us-east-1:1:parameter/x"]) {
      assert.throws(() => checkNewName(bad, PREFIX), code("ValidationException"), bad);
    }
    assert.throws(() => checkNewName("a/b", PREFIX), { message: /^Parameter name must be a fully qualified name\./ });
    for (const reserved of ["aws1", "/aws/x", "/AWS/service/y", "Aws-cdk"]) {
      assert.throws(() => checkNewName(reserved, PREFIX), {
        code: "AccessDeniedException",
        message: `No access to reserved parameter name: ${reserved.replace(/^\//, "")}.`,
      });
    }
    assert.equal(checkNewName("/app/aws", PREFIX), "/app/aws");
    const sixteen = `/${Array.from({ length: 16 }, (_, i) => `l${i}`).join("/")}`;
    assert.throws(() => checkNewName(sixteen, PREFIX), code("HierarchyLevelLimitExceededException"));
    assert.equal(checkNewName(`/${"x".repeat(1011 - PREFIX.length)}`, PREFIX).length, 1012 - PREFIX.length);
    assert.throws(() => checkNewName(`/${"x".repeat(1012 - PREFIX.length)}`, PREFIX), code("ValidationException"));
  });

  it("parses references: names, ARNs, versions and labels", () => {
    assert.deepEqual(parseReference("/a/b:3", scope), {
      name: "/a/b",
      key: "/a/b",
      selector: { kind: "version", version: 3, text: "3" },
      elsewhere: undefined,
    });
    assert.deepEqual(parseReference("foo:prod", scope).selector, { kind: "label", label: "prod", text: "prod" });
    const arn = parseReference(`${PREFIX}a/b:live`, scope);
    assert.equal(arn.name, "/a/b");
    assert.equal(arn.selector?.text, "live");
    assert.equal(parseReference(`${PREFIX}foo`, scope).name, "foo");
    assert.equal(parseReference(`${PREFIX}foo`, scope).key, "/foo");
    assert.equal(parseReference("arn:aws:ssm:eu-west-1:123456789012:parameter/foo", scope).elsewhere, "123456789012/eu-west-1");
  });

  it("refuses a reference with a slash but none in front, and makes ARNs of keys only", () => {
    for (const bad of ["app/prod/x", "a/b:3", "x/"]) assert.throws(() => parseReference(bad, scope), code("ValidationException"), bad);
    assert.equal(parseReference(`${PREFIX}app/prod/x`, scope).key, "/app/prod/x");
    assert.equal(arnResource(nameKey("x")), "parameter/x");
    assert.equal(arnResource(nameKey("/a/b")), "parameter/a/b");
    assert.equal(arnResource("app/prod/x"), "parameter/app/prod/x");
  });

  it("normalizes paths and refuses malformed ones", () => {
    assert.equal(checkPath("/a/b/"), "/a/b");
    assert.equal(checkPath("/"), "/");
    for (const bad of ["a/b", "/a//b", "/a b", ""]) assert.throws(() => checkPath(bad), code("ValidationException"), bad);
  });

  it("applies the label rules", () => {
    for (const ok of ["prod", "Release-1.2_x", "a".repeat(100)]) assert.ok(isValidLabel(ok), ok);
    for (const bad of ["1st", "awsLabel", "SSMx", "has space", "a/b", "a".repeat(101), ""]) assert.ok(!isValidLabel(bad), bad);
  });
});

describe("parameter filters", () => {
  const subject = {
    nameKey: "/app/prod/db",
    parentPath: "/app/prod",
    type: "SecureString",
    keyId: "alias/aws/ssm",
    keyArn: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    tier: "Standard",
    dataType: "text",
    tags: { env: "prod" },
  };

  it("restricts keys and options per operation", () => {
    assert.throws(() => checkFilters([{ Key: "Label", Values: ["x"] }], "DescribeParameters"), code("InvalidFilterKey"));
    assert.throws(() => checkFilters([{ Key: "Name", Values: ["x"] }], "GetParametersByPath"), code("InvalidFilterKey"));
    assert.throws(() => checkFilters([{ Key: "tag:env", Values: ["x"] }], "GetParametersByPath"), code("InvalidFilterKey"));
    assert.throws(() => checkFilters([{ Key: "Path", Option: "Equals", Values: ["/a"] }], "DescribeParameters"), code("InvalidFilterOption"));
    assert.throws(() => checkFilters([{ Key: "Type", Option: "Contains", Values: ["String"] }], "DescribeParameters"), code("InvalidFilterOption"));
    assert.throws(() => checkFilters([{ Key: "Label", Option: "BeginsWith", Values: ["x"] }], "GetParametersByPath"), code("InvalidFilterOption"));
    assert.throws(() => checkFilters([{ Key: "Type", Values: [] }], "DescribeParameters"), code("InvalidFilterValue"));
    assert.throws(() => checkFilters([{ Key: "Type", Values: ["Number"] }], "DescribeParameters"), code("InvalidFilterValue"));
    assert.throws(
      () =>
        checkFilters(
          [
            { Key: "Name", Values: ["a"] },
            { Key: "Name", Values: ["b"] },
          ],
          "DescribeParameters",
        ),
      code("InvalidFilterKey"),
    );
    assert.throws(() => checkFilters([{ Key: "Path", Values: ["/aws/service"] }], "DescribeParameters"), code("ValidationException"));
    assert.deepEqual(checkFilters([{ Key: "Path", Values: ["/a/"] }], "DescribeParameters"), [{ key: "Path", option: "OneLevel", values: ["/a"] }]);
    assert.deepEqual(checkFilters([{ Key: "tag:env" }], "DescribeParameters"), [{ key: "tag:env", option: "Equals", values: [] }]);
  });

  it("matches names, paths, types, keys and tags", () => {
    const f = (Key: string, Values: string[], Option?: string) => checkFilters([{ Key, Values, Option }], "DescribeParameters")[0];
    assert.ok(matches(subject, f("Name", ["/app/prod/db"])));
    assert.ok(matches(subject, f("Name", ["/app/pr"], "BeginsWith")));
    assert.ok(matches(subject, f("Name", ["prod/d"], "Contains")));
    assert.ok(!matches(subject, f("Name", ["/app/prod"])));
    assert.ok(matches(subject, f("Path", ["/app/prod"])));
    assert.ok(!matches(subject, f("Path", ["/app"])));
    assert.ok(matches(subject, f("Path", ["/app"], "Recursive")));
    assert.ok(matches(subject, f("Path", ["/"], "Recursive")));
    assert.ok(matches(subject, f("Type", ["String", "SecureString"])));
    assert.ok(matches(subject, f("KeyId", ["alias/aws/ssm"])));
    assert.ok(matches(subject, f("KeyId", ["1234abcd-12ab-34cd-56ef-1234567890ab"])));
    assert.ok(matches(subject, f("tag:env", ["prod"])));
    assert.ok(matches(subject, f("tag:env", ["pr"], "BeginsWith")));
    assert.ok(!matches(subject, f("tag:team", [])));
    assert.ok(matches(subject, checkFilters([{ Key: "tag:env" }], "DescribeParameters")[0]));
  });
});

describe("parameter tiers", () => {
  const base = { valueBytes: 10, policyCount: 0, standardFull: false };
  it("resolves tiers as AWS does", () => {
    assert.equal(resolveTier({ ...base }), "Standard");
    assert.equal(resolveTier({ ...base, requested: "Advanced" }), "Advanced");
    assert.equal(resolveTier({ ...base, requested: "Intelligent-Tiering" }), "Standard");
    assert.equal(resolveTier({ ...base, requested: "Intelligent-Tiering", policyCount: 1 }), "Advanced");
    assert.equal(resolveTier({ ...base, requested: "Intelligent-Tiering", standardFull: true }), "Advanced");
    assert.equal(resolveTier({ ...base, existing: "Advanced" }), "Advanced");
    assert.throws(() => resolveTier({ ...base, existing: "Advanced", requested: "Standard" }), code("ValidationException"));
    assert.throws(() => resolveTier({ ...base, valueBytes: 4097 }), code("ValidationException"));
    assert.throws(() => resolveTier({ ...base, policyCount: 1 }), code("ValidationException"));
    assert.throws(() => resolveTier({ ...base, requested: "Advanced", valueBytes: 8193 }), code("ValidationException"));
  });
});

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ipInCidr, parseIp } from "../../packages/server/src/iam/ip.js";
import {
  type ContextValues,
  evaluate,
  mentionsConditionKey,
  type PolicyDocument,
  policyProblem,
  substituteVariables,
} from "../../packages/server/src/iam/policy.js";

const ACCOUNT = "123456789012";
const param = (name: string) => `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter${name}`;
type Condition = Record<string, Record<string, unknown>>;
const allow = (Action: string | string[], Resource: string | string[], Condition?: Condition): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action, Resource, ...(Condition ? { Condition: Condition as never } : {}) }],
});
const deny = (Action: string | string[], Resource: string | string[], Condition?: Condition): PolicyDocument => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Deny", Action, Resource, ...(Condition ? { Condition: Condition as never } : {}) }],
});
const decide = (policies: PolicyDocument[], action: string, resource: string, context: ContextValues = {}) => evaluate(policies, { action, resource, context });

describe("policy evaluation: explicit deny > allow > implicit deny", () => {
  it("denies when nothing allows", () => {
    assert.equal(decide([], "ssm:GetParameter", param("/a")), "ImplicitDeny");
    assert.equal(decide([allow("ssm:PutParameter", "*")], "ssm:GetParameter", param("/a")), "ImplicitDeny");
  });

  it("allows what a statement allows", () => {
    assert.equal(decide([allow("ssm:GetParameter", param("/a"))], "ssm:GetParameter", param("/a")), "Allow");
  });

  it("lets an explicit deny win over an allow, in any order and any policy", () => {
    const a = allow("ssm:*", "*");
    const d = deny("ssm:GetParameter", param("/secret/*"));
    assert.equal(decide([a, d], "ssm:GetParameter", param("/secret/x")), "ExplicitDeny");
    assert.equal(decide([d, a], "ssm:GetParameter", param("/secret/x")), "ExplicitDeny");
    assert.equal(decide([a, d], "ssm:GetParameter", param("/public/x")), "Allow");
    const both: PolicyDocument = { Statement: [...(a.Statement as any[]), ...(d.Statement as any[])] };
    assert.equal(decide([both], "ssm:GetParameter", param("/secret/x")), "ExplicitDeny");
  });

  it("takes a single statement object as well as a list", () => {
    assert.equal(decide([{ Statement: { Effect: "Allow", Action: "ssm:GetParameter", Resource: "*" } }], "ssm:GetParameter", "x"), "Allow");
  });
});

describe("wildcards in Action and Resource", () => {
  it("matches actions with * and ?, case-insensitively", () => {
    const p = [allow(["ssm:Get*", "ssm:Describe?arameters"], "*")];
    assert.equal(decide(p, "ssm:GetParameter", "x"), "Allow");
    assert.equal(decide(p, "ssm:getparametersbypath", "x"), "Allow");
    assert.equal(decide(p, "ssm:DescribeParameters", "x"), "Allow");
    assert.equal(decide(p, "ssm:PutParameter", "x"), "ImplicitDeny");
    assert.equal(decide(p, "kms:GetPublicKey", "x"), "ImplicitDeny");
    assert.equal(decide([allow("*", "*")], "kms:Decrypt", "x"), "Allow");
  });

  it("matches resources with * across / and :, case-sensitively", () => {
    const p = [allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/myapp/dev/*")];
    assert.equal(decide(p, "ssm:GetParameter", param("/myapp/dev/x")), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", param("/myapp/dev/deep/er")), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", param("/myapp/prod/x")), "ImplicitDeny");
    assert.equal(decide(p, "ssm:GetParameter", param("/MyApp/dev/x")), "ImplicitDeny");
    assert.equal(decide([allow("ssm:GetParameter", param("/a?c"))], "ssm:GetParameter", param("/abc")), "Allow");
    assert.equal(decide([allow("ssm:GetParameter", param("/a?c"))], "ssm:GetParameter", param("/abbc")), "ImplicitDeny");
  });

  it("treats regular-expression characters in patterns literally", () => {
    const p = [allow("ssm:GetParameter", param("/a.b+(c)"))];
    assert.equal(decide(p, "ssm:GetParameter", param("/a.b+(c)")), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", param("/axb+(c)")), "ImplicitDeny");
    assert.equal(decide([allow("ssm:GetParameter", param("/x[0-9]"))], "ssm:GetParameter", param("/x5")), "ImplicitDeny");
  });
});

describe("NotAction and NotResource", () => {
  it("allows everything but the listed actions", () => {
    const p = [{ Statement: [{ Effect: "Allow" as const, NotAction: ["ssm:Delete*", "kms:*"], Resource: "*" }] }];
    assert.equal(decide(p, "ssm:GetParameter", "x"), "Allow");
    assert.equal(decide(p, "ssm:DeleteParameter", "x"), "ImplicitDeny");
    assert.equal(decide(p, "kms:Decrypt", "x"), "ImplicitDeny");
  });

  it("denies everywhere but the listed resources", () => {
    const p: PolicyDocument[] = [allow("ssm:*", "*"), { Statement: [{ Effect: "Deny", Action: "ssm:*", NotResource: param("/sandbox/*") }] }];
    assert.equal(decide(p, "ssm:PutParameter", param("/sandbox/a")), "Allow");
    assert.equal(decide(p, "ssm:PutParameter", param("/prod/a")), "ExplicitDeny");
  });

  it("denies with NotAction: everything except reading", () => {
    const p: PolicyDocument[] = [allow("*", "*"), { Statement: [{ Effect: "Deny", NotAction: ["ssm:Get*", "ssm:Describe*"], Resource: "*" }] }];
    assert.equal(decide(p, "ssm:GetParameter", "x"), "Allow");
    assert.equal(decide(p, "ssm:PutParameter", "x"), "ExplicitDeny");
  });

  it("a statement with neither Action nor NotAction matches nothing", () => {
    assert.equal(decide([{ Statement: [{ Effect: "Allow", Resource: "*" }] }], "ssm:GetParameter", "x"), "ImplicitDeny");
  });
});

describe("conditions", () => {
  const tagged = (env: string | undefined): ContextValues => (env === undefined ? {} : { "ssm:resourcetag/environment": env });

  it("StringEquals on ssm:resourceTag allows by the resource's tag", () => {
    const p = [allow("ssm:GetParameter", "*", { StringEquals: { "ssm:resourceTag/Environment": "dev" } })];
    assert.equal(decide(p, "ssm:GetParameter", param("/a"), tagged("dev")), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", param("/a"), tagged("prod")), "ImplicitDeny");
    assert.equal(decide(p, "ssm:GetParameter", param("/a"), tagged("Dev")), "ImplicitDeny");
    assert.equal(decide(p, "ssm:GetParameter", param("/a"), tagged(undefined)), "ImplicitDeny");
    assert.ok(mentionsConditionKey(p, "ssm:resourcetag/"));
    assert.ok(!mentionsConditionKey([allow("*", "*")], "ssm:resourcetag/"));
  });

  it("several values of a key are OR, several keys and operators are AND", () => {
    const p = [allow("ssm:*", "*", { StringEquals: { "ssm:resourceTag/Environment": ["dev", "test"], "aws:RequestedRegion": "us-east-1" } })];
    const ctx = (env: string, region: string) => ({ "ssm:resourcetag/environment": env, "aws:requestedregion": region });
    assert.equal(decide(p, "ssm:GetParameter", "x", ctx("test", "us-east-1")), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", "x", ctx("test", "eu-west-1")), "ImplicitDeny");
    assert.equal(decide(p, "ssm:GetParameter", "x", ctx("prod", "us-east-1")), "ImplicitDeny");
  });

  it("StringLike and StringNotLike use wildcards", () => {
    const p = [allow("ssm:*", "*", { StringLike: { "ssm:resourceTag/Team": "platform-*" } })];
    assert.equal(decide(p, "ssm:GetParameter", "x", { "ssm:resourcetag/team": "platform-db" }), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", "x", { "ssm:resourcetag/team": "web" }), "ImplicitDeny");
    const n = [allow("ssm:*", "*", { StringNotLike: { "ssm:resourceTag/Team": "platform-*" } })];
    assert.equal(decide(n, "ssm:GetParameter", "x", { "ssm:resourcetag/team": "web" }), "Allow");
    assert.equal(decide(n, "ssm:GetParameter", "x", { "ssm:resourcetag/team": "platform-x" }), "ImplicitDeny");
  });

  it("negated operators hold when the key is missing; positive ones fail", () => {
    const ne = [allow("ssm:*", "*", { StringNotEquals: { "ssm:resourceTag/Environment": "prod" } })];
    assert.equal(decide(ne, "ssm:GetParameter", "x", tagged(undefined)), "Allow");
    assert.equal(decide(ne, "ssm:GetParameter", "x", tagged("dev")), "Allow");
    assert.equal(decide(ne, "ssm:GetParameter", "x", tagged("prod")), "ImplicitDeny");
  });

  it("IgnoreCase forms compare case-insensitively", () => {
    const p = [allow("ssm:*", "*", { StringEqualsIgnoreCase: { "ssm:resourceTag/Environment": "DEV" } })];
    assert.equal(decide(p, "ssm:GetParameter", "x", tagged("dev")), "Allow");
    const n = [allow("ssm:*", "*", { StringNotEqualsIgnoreCase: { "ssm:resourceTag/Environment": "PROD" } })];
    assert.equal(decide(n, "ssm:GetParameter", "x", tagged("prod")), "ImplicitDeny");
    assert.equal(decide(n, "ssm:GetParameter", "x", tagged("dev")), "Allow");
  });

  it("IfExists holds when the key is missing and compares when present", () => {
    const p = [allow("ssm:*", "*", { StringEqualsIfExists: { "ssm:resourceTag/Environment": "dev" } })];
    assert.equal(decide(p, "ssm:GetParameter", "x", tagged(undefined)), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", "x", tagged("dev")), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", "x", tagged("prod")), "ImplicitDeny");
  });

  it("Bool on aws:SecureTransport (a JSON boolean or a string)", () => {
    const d: PolicyDocument[] = [allow("*", "*"), deny("*", "*", { Bool: { "aws:SecureTransport": false } })];
    assert.equal(decide(d, "ssm:GetParameter", "x", { "aws:securetransport": "false" }), "ExplicitDeny");
    assert.equal(decide(d, "ssm:GetParameter", "x", { "aws:securetransport": "true" }), "Allow");
    const s = [allow("*", "*", { Bool: { "aws:SecureTransport": "true" } })];
    assert.equal(decide(s, "ssm:GetParameter", "x", { "aws:securetransport": "true" }), "Allow");
    assert.equal(decide(s, "ssm:GetParameter", "x", {}), "ImplicitDeny");
  });

  it("IpAddress and NotIpAddress on aws:SourceIp", () => {
    const p = [allow("*", "*", { IpAddress: { "aws:SourceIp": ["127.0.0.1/32", "192.168.0.0/16"] } })];
    assert.equal(decide(p, "ssm:GetParameter", "x", { "aws:sourceip": "127.0.0.1" }), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", "x", { "aws:sourceip": "::ffff:127.0.0.1" }), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", "x", { "aws:sourceip": "192.168.44.3" }), "Allow");
    assert.equal(decide(p, "ssm:GetParameter", "x", { "aws:sourceip": "10.0.0.1" }), "ImplicitDeny");
    const ten = [allow("*", "*", { IpAddress: { "aws:SourceIp": "10.0.0.0/8" } })];
    assert.equal(decide(ten, "ssm:GetParameter", "x", { "aws:sourceip": "127.0.0.1" }), "ImplicitDeny");
    const outside = [allow("*", "*"), deny("*", "*", { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } })];
    assert.equal(decide(outside, "ssm:GetParameter", "x", { "aws:sourceip": "10.20.30.40" }), "Allow");
    assert.equal(decide(outside, "ssm:GetParameter", "x", { "aws:sourceip": "127.0.0.1" }), "ExplicitDeny");
    const v6 = [allow("*", "*", { IpAddress: { "aws:SourceIp": "2001:db8::/32" } })];
    assert.equal(decide(v6, "ssm:GetParameter", "x", { "aws:sourceip": "2001:db8:1::7" }), "Allow");
    assert.equal(decide(v6, "ssm:GetParameter", "x", { "aws:sourceip": "2001:db9::7" }), "ImplicitDeny");
  });

  it("Numeric and Date operators", () => {
    const n = [allow("*", "*", { NumericLessThanEquals: { "ssm:maxresults": "10" } })];
    assert.equal(decide(n, "a:b", "x", { "ssm:maxresults": "10" }), "Allow");
    assert.equal(decide(n, "a:b", "x", { "ssm:maxresults": "11" }), "ImplicitDeny");
    assert.equal(decide(n, "a:b", "x", { "ssm:maxresults": "" }), "ImplicitDeny");
    const d = [allow("*", "*", { DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" }, DateGreaterThanEquals: { "aws:EpochTime": "1700000000" } })];
    assert.equal(decide(d, "a:b", "x", { "aws:currenttime": "2029-06-01T00:00:00Z", "aws:epochtime": "1700000000" }), "Allow");
    assert.equal(decide(d, "a:b", "x", { "aws:currenttime": "2031-06-01T00:00:00Z", "aws:epochtime": "1800000000" }), "ImplicitDeny");
    assert.equal(decide(d, "a:b", "x", { "aws:currenttime": "2029-06-01T00:00:00Z", "aws:epochtime": "1600000000" }), "ImplicitDeny");
  });

  it("ArnLike and ArnEquals match with wildcards", () => {
    const p = [allow("*", "*", { ArnLike: { "aws:PrincipalArn": "arn:aws:iam::*:user/ops-*" } })];
    assert.equal(decide(p, "a:b", "x", { "aws:principalarn": `arn:aws:iam::${ACCOUNT}:user/ops-ann` }), "Allow");
    assert.equal(decide(p, "a:b", "x", { "aws:principalarn": `arn:aws:iam::${ACCOUNT}:user/dev-ann` }), "ImplicitDeny");
    const e = [allow("*", "*", { ArnEquals: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:user/*` } })];
    assert.equal(decide(e, "a:b", "x", { "aws:principalarn": `arn:aws:iam::${ACCOUNT}:user/ann` }), "Allow");
  });

  it("Null tests whether a key is present", () => {
    const p = [allow("*", "*", { Null: { "ssm:resourceTag/Owner": "false" } })];
    assert.equal(decide(p, "a:b", "x", { "ssm:resourcetag/owner": "me" }), "Allow");
    assert.equal(decide(p, "a:b", "x", {}), "ImplicitDeny");
    const absent = [allow("*", "*", { Null: { "ssm:resourceTag/Owner": "true" } })];
    assert.equal(decide(absent, "a:b", "x", {}), "Allow");
  });

  it("ForAnyValue and ForAllValues over multi-valued keys", () => {
    const any = [allow("*", "*", { "ForAnyValue:StringEquals": { "aws:TagKeys": ["Owner", "Team"] } })];
    assert.equal(decide(any, "a:b", "x", { "aws:tagkeys": ["Name", "Team"] }), "Allow");
    assert.equal(decide(any, "a:b", "x", { "aws:tagkeys": ["Name"] }), "ImplicitDeny");
    assert.equal(decide(any, "a:b", "x", {}), "ImplicitDeny");
    const all = [allow("*", "*", { "ForAllValues:StringEquals": { "aws:TagKeys": ["Owner", "Team"] } })];
    assert.equal(decide(all, "a:b", "x", { "aws:tagkeys": ["Owner", "Team"] }), "Allow");
    assert.equal(decide(all, "a:b", "x", { "aws:tagkeys": ["Owner", "Name"] }), "ImplicitDeny");
    assert.equal(decide(all, "a:b", "x", {}), "Allow");
    // ForAnyValue:StringNotEquals holds when at least one value differs from every listed one.
    const anyNot = [allow("*", "*", { "ForAnyValue:StringNotEquals": { "aws:TagKeys": ["Owner"] } })];
    assert.equal(decide(anyNot, "a:b", "x", { "aws:tagkeys": ["Owner", "Name"] }), "Allow");
    assert.equal(decide(anyNot, "a:b", "x", { "aws:tagkeys": ["Owner"] }), "ImplicitDeny");
    const allNot = [allow("*", "*", { "ForAllValues:StringNotEquals": { "aws:TagKeys": ["Owner"] } })];
    assert.equal(decide(allNot, "a:b", "x", { "aws:tagkeys": ["Name", "Team"] }), "Allow");
    assert.equal(decide(allNot, "a:b", "x", { "aws:tagkeys": ["Owner", "Name"] }), "ImplicitDeny");
  });

  it("condition keys are case-insensitive", () => {
    const p = [allow("*", "*", { stringequals: { "SSM:RESOURCETAG/ENVIRONMENT": "dev" } })];
    assert.equal(decide(p, "a:b", "x", tagged("dev")), "Allow");
  });

  it("an unknown operator never holds: an Allow grants nothing", () => {
    const p = [allow("*", "*", { StringEqualz: { "ssm:resourceTag/Environment": "dev" } })];
    assert.equal(decide(p, "a:b", "x", tagged("dev")), "ImplicitDeny");
  });
});

describe("policy variables", () => {
  const home = [allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/home/${aws:username}/*")];

  it("${aws:username} in a Resource", () => {
    assert.equal(decide(home, "ssm:GetParameter", param("/home/alice/x"), { "aws:username": "alice" }), "Allow");
    assert.equal(decide(home, "ssm:GetParameter", param("/home/bob/x"), { "aws:username": "alice" }), "ImplicitDeny");
  });

  it("a variable with no value matches nothing (roles have no aws:username)", () => {
    assert.equal(decide(home, "ssm:GetParameter", param("/home//x"), {}), "ImplicitDeny");
    assert.equal(decide(home, "ssm:GetParameter", param("/home/x/y"), {}), "ImplicitDeny");
  });

  it("a variable's value is literal: a * in it is not a wildcard", () => {
    const team = [allow("ssm:GetParameter", "arn:aws:ssm:*:*:parameter/team/${aws:PrincipalTag/team}/*")];
    assert.equal(decide(team, "ssm:GetParameter", param("/team/db/x"), { "aws:principaltag/team": "db" }), "Allow");
    assert.equal(decide(team, "ssm:GetParameter", param("/team/web/x"), { "aws:principaltag/team": "*" }), "ImplicitDeny");
    assert.equal(decide(team, "ssm:GetParameter", param("/team/*/x"), { "aws:principaltag/team": "*" }), "Allow");
  });

  it("${*}, ${?} and ${$} are literal characters; defaults apply to missing keys", () => {
    assert.equal(decide([allow("*", param("/a${*}b"))], "a:b", param("/a*b")), "Allow");
    assert.equal(decide([allow("*", param("/a${*}b"))], "a:b", param("/axb")), "ImplicitDeny");
    assert.equal(substituteVariables("x-${aws:username, 'nobody'}", {}), "x-nobody");
    assert.equal(substituteVariables("${$}{aws:username}", { "aws:username": "a" }), "${aws:username}");
    assert.equal(substituteVariables("${aws:username}", {}), null);
  });

  it("variables in condition values", () => {
    const p = [allow("*", "*", { StringEquals: { "ssm:resourceTag/Owner": "${aws:username}" } })];
    assert.equal(decide(p, "a:b", "x", { "aws:username": "ann", "ssm:resourcetag/owner": "ann" }), "Allow");
    assert.equal(decide(p, "a:b", "x", { "aws:username": "ann", "ssm:resourcetag/owner": "bob" }), "ImplicitDeny");
    const lit = [allow("*", "*", { StringEquals: { "ssm:resourceTag/Owner": "${*}" } })];
    assert.equal(decide(lit, "a:b", "x", { "ssm:resourcetag/owner": "*" }), "Allow");
  });
});

describe("policyProblem", () => {
  it("accepts well-formed policies", () => {
    assert.equal(policyProblem(allow("ssm:GetParameter", "*")), null);
    assert.equal(policyProblem({ Version: "2012-10-17", Statement: { Effect: "Deny", NotAction: ["ssm:Get*"], NotResource: "*" } }), null);
    assert.equal(
      policyProblem(allow("*", "*", { "ForAnyValue:StringLikeIfExists": { "aws:TagKeys": ["a*"] }, IpAddress: { "aws:SourceIp": "10.0.0.0/8" } })),
      null,
    );
  });

  it("names what to fix", () => {
    const cases: [unknown, RegExp][] = [
      [null, /JSON object/],
      [[], /JSON object/],
      [{ Version: "2012-10-17" }, /needs a Statement/],
      [{ Statement: [] }, /at least one Statement/],
      [{ Statement: [{ Effect: "Maybe", Action: "*", Resource: "*" }] }, /Effect/],
      [{ Statement: [{ Effect: "Allow", Resource: "*" }] }, /Action or NotAction/],
      [{ Statement: [{ Effect: "Allow", Action: "*", NotAction: "ssm:x", Resource: "*" }] }, /exactly one of Action/],
      [{ Statement: [{ Effect: "Allow", Action: "*" }] }, /Resource or NotResource/],
      [{ Statement: [{ Effect: "Allow", Action: 5, Resource: "*" }] }, /Action must be a string/],
      [{ Statement: [{ Effect: "Allow", Action: "GetParameter", Resource: "*" }] }, /ssm:GetParameter/],
      [{ Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Principal: "*" }] }, /Principal/],
      [{ Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Condition: { StringEqualz: { a: "b" } } }] }, /unknown condition operator StringEqualz/],
      [{ Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": "10.0.0/8" } } }] }, /CIDR/],
      [{ Statement: [{ Effect: "Allow", Action: "*", Resource: "*", Condition: { StringEquals: { a: { b: 1 } } } }] }, /must be strings/],
      [{ Version: "2020-01-01", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }, /Version/],
    ];
    for (const [doc, re] of cases) assert.match(String(policyProblem(doc)), re, JSON.stringify(doc));
  });
});

describe("IP addresses", () => {
  it("parses IPv4, IPv6 and IPv4-mapped addresses", () => {
    assert.deepEqual(parseIp("10.0.0.1"), { version: 4, value: 0x0a000001n });
    assert.deepEqual(parseIp("::ffff:10.0.0.1"), { version: 4, value: 0x0a000001n });
    assert.equal(parseIp("::1")?.value, 1n);
    assert.equal(parseIp("1.2.3.256"), null);
    assert.equal(parseIp("1::2::3"), null);
    assert.equal(parseIp("hello"), null);
  });

  it("checks CIDR blocks", () => {
    assert.ok(ipInCidr("10.255.0.1", "10.0.0.0/8"));
    assert.ok(!ipInCidr("11.0.0.1", "10.0.0.0/8"));
    assert.ok(ipInCidr("1.2.3.4", "0.0.0.0/0"));
    assert.ok(ipInCidr("127.0.0.1", "127.0.0.1"));
    assert.ok(!ipInCidr("::1", "127.0.0.1/32"));
    assert.ok(!ipInCidr("10.0.0.1", "10.0.0.0/33"));
    assert.ok(ipInCidr("fe80::1:2", "fe80::/10"));
  });
});

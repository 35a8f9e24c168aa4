import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluate as evaluateCedar } from "../../packages/server/src/capabilities/access-requests/cedar-request.js";
import { grantPolicy, tokenSessionName } from "../../packages/server/src/capabilities/access-requests/grant.js";
import type { AccessRequestRow } from "../../packages/server/src/capabilities/access-requests/tables.js";
import { lineAndColumn, validateApprovalPolicy } from "../../packages/server/src/capabilities/documents/validate/approval-policy.js";
import type { Principal } from "../../packages/server/src/iam/principals.js";
import { evaluate as evaluateIam } from "../../packages/server/src/iam/policy.js";

const ACCOUNT = "123456789012";
const scope = { accountId: ACCOUNT, region: "us-east-1" };
const alice: Principal = {
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  accountId: ACCOUNT,
  kind: "user",
  name: "alice",
  principalId: "AIDAEXAMPLE",
  tags: { AccessLevel: "Elevated" },
};
const NODE = "mi-0123456789abcdef0";

describe("approval policies in Cedar (cedar-wasm)", () => {
  it("permits by the node's tags and the principal's IAM tags (context.iam.principalTags), as AWS's examples do", () => {
    const policy = `permit (principal, action == AWS::SSM::Action::"getTokenForInstanceAccess", resource)
when { context.iam.principalTags.getTag("AccessLevel") == "Elevated" && resource.hasTag("Environment") && resource.getTag("Environment") == "prod" };`;
    assert.equal(evaluateCedar(policy, { principal: alice, instanceId: NODE, nodeTags: { Environment: "prod" } }).decision, "allow");
    assert.equal(evaluateCedar(policy, { principal: alice, instanceId: NODE, nodeTags: { Environment: "dev" } }).decision, "deny");
    const plain = { ...alice, tags: {} };
    const outcome = evaluateCedar(policy, { principal: plain, instanceId: NODE, nodeTags: { Environment: "prod" } });
    assert.equal(outcome.decision, "deny");
    // getTag on a tag the principal lacks is an evaluation error: that statement does not apply.
    assert.equal(outcome.errors.length, 1);
  });

  it("names the statements that decided", () => {
    const policy = `permit (principal, action, resource) when { resource.hasTag("A") };
permit (principal, action, resource) when { resource.hasTag("B") };`;
    assert.deepEqual(evaluateCedar(policy, { principal: alice, instanceId: NODE, nodeTags: { B: "1" } }).reasons, ["statement2"]);
  });

  it("matches a principal by its IAM ARN", () => {
    const policy = `permit (principal == AWS::IAM::User::"${alice.arn}", action, resource);`;
    assert.equal(evaluateCedar(policy, { principal: alice, instanceId: NODE, nodeTags: {} }).decision, "allow");
    assert.equal(evaluateCedar(policy, { principal: { ...alice, arn: `arn:aws:iam::${ACCOUNT}:user/bob` }, instanceId: NODE, nodeTags: {} }).decision, "deny");
  });
});

describe("approval policy documents", () => {
  it("report a parse error's line and column", () => {
    assert.throws(
      () => validateApprovalPolicy("AutoApprovalPolicy", "TEXT", 'permit (principal, action, resource)\n  when { resource.hasTag("A") && };'),
      (e: Error & { code?: string }) => {
        assert.equal(e.code, "InvalidDocumentContent");
        assert.match(e.message, /line 2, column 34/);
        return true;
      },
    );
  });

  it("count columns in characters where the text holds multi-byte characters", () => {
    const text = "// é\nx";
    assert.deepEqual(lineAndColumn(text, Buffer.byteLength("// é\n")), { line: 2, column: 1 });
    assert.deepEqual(lineAndColumn(text, Buffer.byteLength("// é")), { line: 1, column: 5 });
  });

  it("accept permit-only and forbid-only sets, and refuse a mix", () => {
    assert.doesNotThrow(() => validateApprovalPolicy("AutoApprovalPolicy", "TEXT", "permit (principal, action, resource);"));
    assert.doesNotThrow(() => validateApprovalPolicy("AutoApprovalPolicy", "TEXT", "// no one\nforbid (principal, action, resource);"));
    assert.throws(
      () => validateApprovalPolicy("AutoApprovalPolicy", "TEXT", "permit (principal, action, resource);\nforbid (principal, action, resource);"),
      /permit statements only/,
    );
  });
});

describe("a grant's IAM policy", () => {
  const row = { access_request_id: "oi-0123456789ab", requester_arn: alice.arn, target: NODE } as AccessRequestRow;
  const endsAt = Date.parse("2026-12-06T03:00:00Z");
  const policy = grantPolicy(scope, row, endsAt);
  const nodeArn = (id: string) => `arn:aws:ssm:us-east-1:${ACCOUNT}:managed-instance/${id}`;
  const at = (iso: string) => ({ "aws:currenttime": iso });

  it("allows StartSession on the granted node until the grant ends, and on no other node", () => {
    assert.equal(evaluateIam([policy], { action: "ssm:StartSession", resource: nodeArn(NODE), context: at("2026-12-06T02:59:59Z") }), "Allow");
    assert.equal(evaluateIam([policy], { action: "ssm:StartSession", resource: nodeArn(NODE), context: at("2026-12-06T03:00:00Z") }), "ImplicitDeny");
    assert.equal(
      evaluateIam([policy], { action: "ssm:StartSession", resource: nodeArn("mi-0123456789abcdef1"), context: at("2026-12-06T02:00:00Z") }),
      "ImplicitDeny",
    );
    assert.equal(evaluateIam([policy], { action: "ssm:SendCommand", resource: nodeArn(NODE), context: at("2026-12-06T02:00:00Z") }), "ImplicitDeny");
  });

  it("lets the token end only its own sessions", () => {
    const own = `arn:aws:ssm:us-east-1:${ACCOUNT}:session/${tokenSessionName(row)}-0123456789abcdef0`;
    assert.equal(tokenSessionName(row), "alice.oi-0123456789ab");
    assert.equal(evaluateIam([policy], { action: "ssm:TerminateSession", resource: own, context: {} }), "Allow");
    assert.equal(
      evaluateIam([policy], { action: "ssm:TerminateSession", resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:session/alice-0123456789abcdef0`, context: {} }),
      "ImplicitDeny",
    );
  });
});

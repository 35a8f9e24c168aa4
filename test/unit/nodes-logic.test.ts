import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluate } from "../../packages/server/src/iam/policy.js";
import { nodeIdOf } from "../../packages/server/src/agents/node-identity.js";
import { activationCodeMatches, hashActivationCode, newActivationCode, newInstanceId } from "../../packages/server/src/capabilities/nodes/ids.js";
import { compareVersions } from "@openssm/protocol";
import { nodePolicy, RSA_KEY_POLICY } from "../../packages/server/src/capabilities/nodes/node-policy.js";
import { ONLINE_WINDOW_MS, pingStatus } from "../../packages/server/src/capabilities/nodes/ping.js";

const scope = { accountId: "123456789012", region: "us-east-1" };
const self = "mi-0123456789abcdef0";
const other = "mi-0fedcba9876543210";
const arn = (id: string) => `arn:aws:ssm:us-east-1:123456789012:managed-instance/${id}`;
const decide = (action: string, resource: string, policy = nodePolicy(scope, self)) => evaluate([policy], { action, resource, context: {} });

describe("nodes: the node policy (AmazonSSMManagedInstanceCore, scoped to the node)", () => {
  it("allows the agent's own reports only on its own node", () => {
    for (const action of ["ssm:UpdateInstanceInformation", "ssm:PutInventory", "ssm:PutComplianceItems", "ssm:ListInstanceAssociations"]) {
      assert.equal(decide(action, arn(self)), "Allow", action);
      assert.equal(decide(action, arn(other)), "ImplicitDeny", `${action} on another node`);
      assert.equal(decide(action, "*"), "ImplicitDeny", `${action} with no resource named fails closed`);
    }
  });

  it("allows documents, parameters and the agent channels, and nothing an operator does", () => {
    assert.equal(decide("ssm:GetDocument", "arn:aws:ssm:us-east-1::document/AWS-RunShellScript"), "Allow");
    assert.equal(decide("ssm:GetParameters", "arn:aws:ssm:us-east-1:123456789012:parameter/app/db"), "Allow");
    assert.equal(decide("ec2messages:GetMessages", "*"), "Allow");
    assert.equal(decide("ssmmessages:OpenControlChannel", arn(self)), "Allow");
    for (const action of [
      "ssm:PutParameter",
      "ssm:SendCommand",
      "ssm:DeleteActivation",
      "ssm:DescribeInstanceInformation",
      "ssm:DeregisterManagedInstance",
      "kms:Decrypt",
    ]) {
      assert.equal(decide(action, "*"), "ImplicitDeny", action);
    }
  });

  it("lets the RSA key only fetch credentials and rotate itself", () => {
    assert.equal(decide("ssm:RequestManagedInstanceRoleToken", "*", RSA_KEY_POLICY), "Allow");
    assert.equal(decide("ssm:UpdateManagedInstancePublicKey", "*", RSA_KEY_POLICY), "Allow");
    assert.equal(decide("ssm:UpdateInstanceInformation", arn(self), RSA_KEY_POLICY), "ImplicitDeny");
  });
});

describe("nodes: ids, codes, versions, ping status", () => {
  it("makes AWS-shaped ids and 20-character codes, compared by hash", () => {
    assert.match(newInstanceId(), /^mi-[0-9a-f]{17}$/);
    const code = newActivationCode();
    assert.match(code, /^[A-Za-z0-9]{20}$/);
    assert.ok(activationCodeMatches(code, hashActivationCode(code)));
    assert.ok(!activationCodeMatches(code.toLowerCase() === code ? code.toUpperCase() : code.toLowerCase(), hashActivationCode(code)));
  });

  it("reads the node id from a node principal only", () => {
    const p = {
      arn: `arn:aws:sts::123456789012:assumed-role/SSMServiceRole/${self}`,
      accountId: scope.accountId,
      kind: "node" as const,
      name: "x",
      principalId: "AROA",
      tags: {},
    };
    assert.equal(nodeIdOf(p), self);
    assert.equal(nodeIdOf({ ...p, kind: "role" }), undefined);
    assert.equal(nodeIdOf({ ...p, arn: "arn:aws:sts::123456789012:assumed-role/SSMServiceRole/someone" }), undefined);
  });

  it("compares agent versions numerically", () => {
    assert.ok(compareVersions("3.3.987.0", "3.3.99.0") > 0);
    assert.ok(compareVersions("3.2.0.0", "3.10.0.0") < 0);
    assert.equal(compareVersions("3.3.0", "3.3.0.0"), 0);
  });

  it("is Online within one health interval plus grace, ConnectionLost after, Inactive once deregistered", () => {
    const now = 10_000_000_000;
    assert.equal(pingStatus(now - ONLINE_WINDOW_MS, false, now), "Online");
    assert.equal(pingStatus(now - ONLINE_WINDOW_MS - 1, false, now), "ConnectionLost");
    assert.equal(pingStatus(null, false, now), "ConnectionLost");
    assert.equal(pingStatus(now, true, now), "Inactive");
  });
});

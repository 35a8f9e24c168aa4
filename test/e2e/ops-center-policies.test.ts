import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateOpsItemCommand,
  DeleteResourcePolicyCommand,
  GetOpsItemCommand,
  GetResourcePoliciesCommand,
  PutParameterCommand,
  PutResourcePolicyCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { allowAll, awsCli, createUser, defaultAccountId, startServer, type TestServer } from "../harness/index.js";

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error("expected an error");
};

describe("OpsCenter: resource policies of the OpsItemGroup and of parameters", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let account: string;

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    account = await defaultAccountId(server);
  });
  after(async () => {
    await server?.destroy();
  });

  test("resource policies: put, get, update with the current hash, a stale hash conflicts, delete; bad input refused", async () => {
    const group = `arn:aws:ssm:${server.region}:${account}:opsitemgroup/default`;
    const policy = (accounts: string[]) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          {
            Sid: "Share",
            Effect: "Allow",
            Principal: { AWS: accounts },
            Action: ["ssm:CreateOpsItem", "ssm:GetOpsItem"],
            Resource: [group, `arn:aws:ssm:${server.region}:${account}:opsitem/*`],
          },
        ],
      });
    const put = await awsCli(server, ["ssm", "put-resource-policy", "--resource-arn", group, "--policy", policy(["111122223333"])]);
    assert.equal(put.code, 0, put.stderr);
    const { PolicyId, PolicyHash } = put.json;
    assert.match(PolicyId, /^[0-9a-f]{32}$/);
    const got = await ssm.send(new GetResourcePoliciesCommand({ ResourceArn: group }));
    assert.deepEqual(got.Policies, [{ PolicyId, PolicyHash, Policy: policy(["111122223333"]) }]);
    const second = await errorOf(ssm.send(new PutResourcePolicyCommand({ ResourceArn: group, Policy: policy(["444455556666"]) })));
    assert.equal(second.name, "ResourcePolicyLimitExceededException");
    const updated = await ssm.send(
      new PutResourcePolicyCommand({ ResourceArn: group, Policy: policy(["111122223333", "444455556666"]), PolicyId, PolicyHash }),
    );
    assert.equal(updated.PolicyId, PolicyId);
    assert.notEqual(updated.PolicyHash, PolicyHash);
    // A writer still holding the first hash is told the policy changed.
    const stale = await errorOf(ssm.send(new PutResourcePolicyCommand({ ResourceArn: group, Policy: policy(["777788889999"]), PolicyId, PolicyHash })));
    assert.equal(stale.name, "ResourcePolicyConflictException");
    const staleDelete = await errorOf(ssm.send(new DeleteResourcePolicyCommand({ ResourceArn: group, PolicyId, PolicyHash })));
    assert.equal(staleDelete.name, "ResourcePolicyConflictException");
    const unknown = await errorOf(ssm.send(new DeleteResourcePolicyCommand({ ResourceArn: group, PolicyId: "0".repeat(32), PolicyHash })));
    assert.equal(unknown.name, "ResourcePolicyNotFoundException");

    for (const [doc, why] of [
      ["{not json", /not JSON/],
      [JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetOpsItem", Resource: group }] }), /Principal/],
      [
        JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "ssm:GetOpsItem", Resource: group }] }),
        /every account/,
      ],
      [
        JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "111122223333" }, Action: "ssm:DeleteParameter", Resource: group }],
        }),
        /not an action/,
      ],
    ] as const) {
      const e = await errorOf(ssm.send(new PutResourcePolicyCommand({ ResourceArn: group, Policy: doc })));
      assert.equal(e.name, "MalformedResourcePolicyDocumentException", doc);
      assert.match(e.message, why);
    }
    const big = await errorOf(
      ssm.send(new PutResourcePolicyCommand({ ResourceArn: group, Policy: policy(Array.from({ length: 80 }, (_, i) => String(100000000000 + i))) })),
    );
    assert.equal(big.name, "ResourcePolicyLimitExceededException");
    const hashOnly = await errorOf(ssm.send(new PutResourcePolicyCommand({ ResourceArn: group, Policy: policy(["111122223333"]), PolicyHash })));
    assert.equal(hashOnly.name, "ResourcePolicyInvalidParameterException");
    const otherGroup = await errorOf(ssm.send(new GetResourcePoliciesCommand({ ResourceArn: `arn:aws:ssm:${server.region}:${account}:opsitemgroup/other` })));
    assert.equal(otherGroup.name, "ResourceNotFoundException");
    const notShareable = await errorOf(
      ssm.send(new GetResourcePoliciesCommand({ ResourceArn: `arn:aws:ssm:${server.region}:${account}:document/AWS-RunShellScript` })),
    );
    assert.equal(notShareable.name, "ResourcePolicyInvalidParameterException");

    await ssm.send(new DeleteResourcePolicyCommand({ ResourceArn: group, PolicyId, PolicyHash: updated.PolicyHash }));
    assert.deepEqual((await ssm.send(new GetResourcePoliciesCommand({ ResourceArn: group }))).Policies, []);
  });
  test("parameters: only advanced-tier parameters (SecureString under a customer key) can be shared", async () => {
    await ssm.send(new PutParameterCommand({ Name: "/shared/standard", Value: "v", Type: "String" }));
    await ssm.send(new PutParameterCommand({ Name: "/shared/advanced", Value: "v", Type: "String", Tier: "Advanced" }));
    await ssm.send(new PutParameterCommand({ Name: "/shared/secret", Value: "v", Type: "SecureString", Tier: "Advanced" }));
    const arn = (name: string) => `arn:aws:ssm:${server.region}:${account}:parameter${name}`;
    const policy = (name: string) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: ["ssm:GetParameter", "ssm:GetParameters"], Resource: arn(name) },
        ],
      });
    const standard = await errorOf(ssm.send(new PutResourcePolicyCommand({ ResourceArn: arn("/shared/standard"), Policy: policy("/shared/standard") })));
    assert.equal(standard.name, "ResourcePolicyInvalidParameterException");
    assert.match(standard.message, /advanced/);
    const secret = await errorOf(ssm.send(new PutResourcePolicyCommand({ ResourceArn: arn("/shared/secret"), Policy: policy("/shared/secret") })));
    assert.equal(secret.name, "ResourcePolicyInvalidParameterException");
    assert.match(secret.message, /customer managed key/);
    const ok = await ssm.send(new PutResourcePolicyCommand({ ResourceArn: arn("/shared/advanced"), Policy: policy("/shared/advanced") }));
    assert.ok(ok.PolicyId && ok.PolicyHash);
    const missing = await errorOf(ssm.send(new PutResourcePolicyCommand({ ResourceArn: arn("/shared/none"), Policy: policy("/shared/none") })));
    assert.equal(missing.name, "ResourceNotFoundException");
  });
  test("another account creates OpsItems here only as the OpsItemGroup policy allows", async () => {
    const other = await createUser(server, "partner", [allowAll], { accountId: "210987654321" });
    const partner = server.ssm(other);
    const input = { Title: "from the partner", Source: "partner", Description: "d", AccountId: account };
    const refused = await errorOf(partner.send(new CreateOpsItemCommand(input)));
    assert.equal(refused.name, "OpsItemAccessDeniedException");
    const group = `arn:aws:ssm:${server.region}:${account}:opsitemgroup/default`;
    const existing = (await ssm.send(new GetResourcePoliciesCommand({ ResourceArn: group }))).Policies ?? [];
    assert.deepEqual(existing, []);
    await ssm.send(
      new PutResourcePolicyCommand({
        ResourceArn: group,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: other.accountId },
              Action: "ssm:CreateOpsItem",
              Resource: `arn:aws:ssm:${server.region}:${account}:opsitem/*`,
            },
          ],
        }),
      }),
    );
    const created = await partner.send(new CreateOpsItemCommand(input));
    assert.match(String(created.OpsItemArn), new RegExp(`:${account}:opsitem/`));
    const item = (await ssm.send(new GetOpsItemCommand({ OpsItemId: created.OpsItemId }))).OpsItem;
    assert.equal(item?.CreatedBy, other.arn);
  });
});

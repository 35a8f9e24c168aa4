import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateActivationCommand, DeleteActivationCommand, DescribeActivationsCommand } from "@aws-sdk/client-ssm";
import { openStorage } from "@openssm/server";
import { awsCli, startServer, type TestServer } from "../harness/index.js";
import { NodeIdentity } from "../harness/node-identity.js";

describe("nodes: hybrid activations", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ testClock: true });
  });
  after(async () => server?.destroy());

  it("creates an activation with defaults, describes it and deletes it", async () => {
    const ssm = server.ssm();
    const created = await ssm.send(new CreateActivationCommand({ IamRole: "SSMServiceRole", Description: "lab", DefaultInstanceName: "lab-node" }));
    assert.match(created.ActivationId ?? "", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(created.ActivationCode?.length, 20);
    const listed = await ssm.send(
      new DescribeActivationsCommand({ Filters: [{ FilterKey: "ActivationIds", FilterValues: [created.ActivationId as string] }] }),
    );
    assert.equal(listed.ActivationList?.length, 1);
    const a = listed.ActivationList?.[0];
    assert.equal(a?.IamRole, "SSMServiceRole");
    assert.equal(a?.Description, "lab");
    assert.equal(a?.DefaultInstanceName, "lab-node");
    assert.equal(a?.RegistrationLimit, 1);
    assert.equal(a?.RegistrationsCount, 0);
    assert.equal(a?.Expired, false);
    const lifetime = (a?.ExpirationDate?.getTime() ?? 0) - (a?.CreatedDate?.getTime() ?? 0);
    assert.ok(Math.abs(lifetime - 24 * 3600 * 1000) < 5000, `default lifetime is 24 h, got ${lifetime} ms`);
    assert.ok(!JSON.stringify(listed).includes(created.ActivationCode as string), "the activation code is never shown again");

    await ssm.send(new DeleteActivationCommand({ ActivationId: created.ActivationId }));
    const after = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: "ActivationIds", FilterValues: [created.ActivationId as string] }] }));
    assert.equal(after.ActivationList?.length, 0);
    await assert.rejects(ssm.send(new DeleteActivationCommand({ ActivationId: created.ActivationId })), { name: "InvalidActivation" });
    await assert.rejects(ssm.send(new DeleteActivationCommand({ ActivationId: "11111111-2222-3333-4444-555555555555" })), { name: "InvalidActivationId" });
    const node = new NodeIdentity(server.endpoint);
    const refused = await node.register(created.ActivationId as string, created.ActivationCode as string);
    assert.equal(refused.error, "InvalidActivation", "a deleted activation registers nothing");
  });

  it("refuses expiration dates in the past or beyond 30 days, and limits beyond 1000", async () => {
    const ssm = server.ssm();
    await assert.rejects(ssm.send(new CreateActivationCommand({ IamRole: "R", ExpirationDate: new Date(Date.now() - 60_000) })), { name: "InvalidParameters" });
    await assert.rejects(ssm.send(new CreateActivationCommand({ IamRole: "R", ExpirationDate: new Date(Date.now() + 31 * 24 * 3600 * 1000) })), {
      name: "InvalidParameters",
    });
    await assert.rejects(ssm.send(new CreateActivationCommand({ IamRole: "R", RegistrationLimit: 1001 })), { name: "ValidationException" });
    const ok = await ssm.send(
      new CreateActivationCommand({ IamRole: "R", ExpirationDate: new Date(Date.now() + 29 * 24 * 3600 * 1000), RegistrationLimit: 1000 }),
    );
    assert.ok(ok.ActivationId);
  });

  it("works through the aws CLI: create-activation with --tags, describe-activations with filters and pagination", async () => {
    const created = await awsCli(server, [
      "ssm",
      "create-activation",
      "--iam-role",
      "PagedRole",
      "--default-instance-name",
      "cli-node",
      "--registration-limit",
      "3",
      "--tags",
      "Key=Environment,Value=Lab",
      "Key=Owner,Value=ops",
    ]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.json.ActivationId as string;
    assert.equal((created.json.ActivationCode as string).length, 20);
    const ssm = server.ssm();
    for (let i = 0; i < 2; i++) await ssm.send(new CreateActivationCommand({ IamRole: "PagedRole" }));
    // The CLI follows NextToken through pages of one.
    const paged = await awsCli(server, ["ssm", "describe-activations", "--filters", "FilterKey=IamRole,FilterValues=PagedRole", "--page-size", "1"]);
    assert.equal(paged.code, 0, paged.stderr);
    assert.equal(paged.json.ActivationList.length, 3);
    const a = paged.json.ActivationList.find((x: { ActivationId: string }) => x.ActivationId === id);
    assert.equal(a.RegistrationLimit, 3);
    assert.equal(a.DefaultInstanceName, "cli-node");
    assert.deepEqual(a.Tags, [
      { Key: "Environment", Value: "Lab" },
      { Key: "Owner", Value: "ops" },
    ]);
    const byName = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: "DefaultInstanceName", FilterValues: ["cli-node"] }] }));
    assert.deepEqual(
      byName.ActivationList?.map((x) => x.ActivationId),
      [id],
    );
    const first = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: "IamRole", FilterValues: ["PagedRole"] }], MaxResults: 2 }));
    assert.equal(first.ActivationList?.length, 2);
    assert.ok(first.NextToken);
    const second = await ssm.send(
      new DescribeActivationsCommand({ Filters: [{ FilterKey: "IamRole", FilterValues: ["PagedRole"] }], MaxResults: 2, NextToken: first.NextToken }),
    );
    assert.equal(second.ActivationList?.length, 1);
    assert.equal(second.NextToken, undefined);
    await assert.rejects(ssm.send(new DescribeActivationsCommand({ NextToken: "not-a-token" })), { name: "InvalidNextToken" });
    const bad = await awsCli(server, ["ssm", "delete-activation", "--activation-id", "11111111-2222-3333-4444-555555555555"]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /InvalidActivationId/);
  });

  it("counts registrations up to the limit and refuses a wrong code", async () => {
    const ssm = server.ssm();
    const act = await ssm.send(new CreateActivationCommand({ IamRole: "LimitRole", RegistrationLimit: 2 }));
    const id = act.ActivationId as string;
    const code = act.ActivationCode as string;
    const wrong = await new NodeIdentity(server.endpoint).register(id, `${code.slice(0, 19)}${code[19] === "A" ? "B" : "A"}`);
    assert.equal(wrong.error, "InvalidActivation");
    const unknown = await new NodeIdentity(server.endpoint).register("11111111-2222-3333-4444-555555555555", code);
    assert.equal(unknown.error, "InvalidActivationId");
    const results = await Promise.all([0, 1, 2].map(() => new NodeIdentity(server.endpoint).register(id, code)));
    const ok = results.filter((r) => !r.error);
    assert.equal(ok.length, 2, "two registrations succeed, even when sent at once");
    for (const r of ok) assert.match(r.body.InstanceId, /^mi-[0-9a-f]{17}$/);
    assert.equal(results.find((r) => r.error)?.error, "InvalidActivation");
    const listed = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: "ActivationIds", FilterValues: [id] }] }));
    assert.equal(listed.ActivationList?.[0].RegistrationsCount, 2);
    const malformed = await new NodeIdentity(server.endpoint).call("RegisterManagedInstance", {
      ActivationId: id,
      ActivationCode: code,
      PublicKey: "x".repeat(400),
      Fingerprint: "f",
    });
    assert.equal(malformed.error, "ValidationException");

    // The audit trail records every registration attempt, never the activation code.
    await server.advanceClock(0);
    const storage = openStorage(server.databaseUrl);
    try {
      const rows = await storage.db.selectFrom("audit_log").select(["operation", "parameters"]).where("operation", "=", "RegisterManagedInstance").execute();
      assert.ok(rows.length >= 6);
      for (const r of rows) assert.ok(!String(r.parameters).includes(code), "no activation code in the audit trail");
    } finally {
      await storage.close();
    }
  });

  it("expires activations when the clock passes their expiration date", async () => {
    const ssm = server.ssm();
    const act = await ssm.send(new CreateActivationCommand({ IamRole: "ExpiringRole", ExpirationDate: new Date(Date.now() + 2 * 3600 * 1000) }));
    await server.advanceClock(3 * 3600);
    const node = new NodeIdentity(server.endpoint);
    const refused = await node.register(act.ActivationId as string, act.ActivationCode as string);
    assert.equal(refused.error, "InvalidActivation");
    assert.match(refused.body.message ?? refused.body.Message, /expired/);
    const listed = await ssm.send(new DescribeActivationsCommand({ Filters: [{ FilterKey: "ActivationIds", FilterValues: [act.ActivationId as string] }] }));
    assert.equal(listed.ActivationList?.[0].Expired, true);
  });
});

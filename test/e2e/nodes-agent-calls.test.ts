import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { DeregisterManagedInstanceCommand, DescribeInstanceInformationCommand } from "@aws-sdk/client-ssm";
import { type Ec2Reply, type FakeNode, registerFakeNode } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer } from "../harness/index.js";
import { sendAgentOperation } from "../harness/node-identity.js";

/** What amazon-ssm-agent calls besides Run Command: its association calls, and a poll held when the node goes. */
describe("nodes: the agent's association calls and deregistration of a polling node", () => {
  let server: TestServer;
  let replica: TestServer;
  let node: FakeNode;
  let other: FakeNode;

  before(async () => {
    server = await startServer({ args: ["--agent-poll-seconds", "20"] });
    replica = await startServer({ databaseUrl: server.databaseUrl, masterKey: server.masterKey, admin: server.admin, args: ["--agent-poll-seconds", "20"] });
    node = await registerFakeNode(server);
    other = await registerFakeNode(server);
  });
  after(async () => {
    await replica?.destroy();
    await server?.destroy();
  });

  it("ListInstanceAssociations answers the calling node (none while State Manager has none for it)", async () => {
    const r = await node.ssm("ListInstanceAssociations", { InstanceId: node.instanceId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body.Associations, []);
    assert.equal(r.body.NextToken, undefined);
    const paged = await node.ssm("ListInstanceAssociations", { InstanceId: node.instanceId, MaxResults: 1 });
    assert.deepEqual(paged.body.Associations, []);
  });

  it("a node may ask only for itself; other callers are refused", async () => {
    const forOther = await node.ssm("ListInstanceAssociations", { InstanceId: other.instanceId });
    assert.equal(forOther.error, "AccessDeniedException");
    await assert.rejects(sendAgentOperation(server.ssm(), "ListInstanceAssociations", { InstanceId: node.instanceId }), {
      name: "AccessDeniedException",
      message: /managed nodes with their own credentials/,
    });
    const report = {
      AssociationId: randomUUID(),
      InstanceId: other.instanceId,
      ExecutionResult: { Status: "Success", ExecutionDate: Date.now() / 1000, ExecutionSummary: "1 out of 1 plugin processed" },
    };
    assert.equal((await node.ssm("UpdateInstanceAssociationStatus", report)).error, "AccessDeniedException");
  });

  it("checks its input: the node id, MaxResults, NextToken", async () => {
    assert.equal((await node.ssm("ListInstanceAssociations", {})).error, "ValidationException");
    assert.equal((await node.ssm("ListInstanceAssociations", { InstanceId: node.instanceId, MaxResults: 0 })).error, "ValidationException");
    assert.equal((await node.ssm("ListInstanceAssociations", { InstanceId: node.instanceId, NextToken: "bm90LWEtdG9rZW4" })).error, "InvalidNextToken");
  });

  it("UpdateInstanceAssociationStatus: an unknown association does not exist, a report without its result is refused", async () => {
    const result = { Status: "Success", ExecutionDate: Date.now() / 1000, ExecutionSummary: "1 out of 1 plugin processed, 1 success" };
    const unknown = await node.ssm("UpdateInstanceAssociationStatus", { AssociationId: randomUUID(), InstanceId: node.instanceId, ExecutionResult: result });
    assert.equal(unknown.error, "AssociationDoesNotExist", JSON.stringify(unknown.body));
    const noResult = await node.ssm("UpdateInstanceAssociationStatus", { AssociationId: randomUUID(), InstanceId: node.instanceId });
    assert.equal(noResult.error, "ValidationException");
  });

  /** Starts a poll and waits until the server holds it (the poll's contact shows the node Online). */
  async function heldPoll(target: FakeNode, on: TestServer): Promise<{ poll: Promise<Ec2Reply> }> {
    const poll = target.ec2messages("GetMessages", { Destination: target.instanceId, MessagesRequestId: randomUUID(), VisibilityTimeoutInSeconds: 10 });
    await eventually(
      async () => {
        const info = await on.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [target.instanceId] }] }));
        return info.InstanceInformationList?.[0]?.PingStatus === "Online";
      },
      { what: "the poll to reach the server" },
    );
    return { poll };
  }

  it("a poll held when its node is deregistered ends at once, its credentials refused", async () => {
    const target = await registerFakeNode(server);
    const { poll } = await heldPoll(target, server);
    const started = Date.now();
    await server.ssm().send(new DeregisterManagedInstanceCommand({ InstanceId: target.instanceId }));
    const r = await poll;
    assert.equal(r.error, "UnrecognizedClientException", JSON.stringify(r.body));
    assert.ok(Date.now() - started < 3_000, `the poll ended ${Date.now() - started} ms after the deregistration (held for 20 s otherwise)`);
  });

  it("also when the node is deregistered through another replica", async () => {
    const target = await registerFakeNode(server);
    const { poll } = await heldPoll(target, server);
    const started = Date.now();
    await replica.ssm().send(new DeregisterManagedInstanceCommand({ InstanceId: target.instanceId }));
    const r = await poll;
    assert.equal(r.error, "UnrecognizedClientException", JSON.stringify(r.body));
    assert.ok(Date.now() - started < 4_000, `the poll ended ${Date.now() - started} ms after the deregistration (held for 20 s otherwise)`);
  });
});

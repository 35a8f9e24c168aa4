import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DeregisterManagedInstanceCommand, GetCommandInvocationCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { type ControlChannel, FakeNode, registerFakeNode, replyPayload } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer, testEngine } from "../harness/index.js";

/** Two replicas on one PostgreSQL database: a node's channel lives on one, commands may come from the other. */
describe("Run Command across replicas (PostgreSQL)", { skip: testEngine !== "postgres" && "several replicas need PostgreSQL" }, () => {
  let first: TestServer;
  let second: TestServer;
  let channel: ControlChannel;
  let node: FakeNode;

  before(async () => {
    first = await startServer({ args: ["--agent-poll-seconds", "1"] });
    second = await startServer({ databaseUrl: first.databaseUrl, masterKey: first.masterKey, admin: first.admin, args: ["--agent-poll-seconds", "1"] });
    const registered = await registerFakeNode(first, { Tier: "replicated" });
    // The node holds its control channel on the second replica, which serves a certificate from the same CA.
    node = new FakeNode({ ...second, caFile: first.caFile } as TestServer, registered.instanceId, registered.creds);
    channel = await node.openControlChannel();
  });
  after(async () => {
    await channel?.close();
    await second?.stop();
    await first?.destroy();
  });

  test("a command sent through one replica reaches the node's channel on the other", async () => {
    const ssm = first.ssm();
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        Targets: [{ Key: "tag:Tier", Values: ["replicated"] }],
        Parameters: { commands: ["hostname"] },
      }),
    );
    const commandId = String(sent.Command?.CommandId);
    const job = await channel.nextJob((j) => j.job.JobId.includes(commandId));
    channel.ackJob(job);
    await channel.reply(job.job.JobId, replyPayload("Success", { "aws:runShellScript": { status: "Success", stdout: "node\n" } }));
    const inv = await eventually(async () => {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: node.instanceId, PluginName: "aws:runShellScript" }));
      return r.Status === "Success" ? r : undefined;
    });
    assert.equal(inv.StandardOutputContent, "node\n");
  });
  test("a node deregistered through one replica loses its control channel on the other", async () => {
    await first.ssm().send(new DeregisterManagedInstanceCommand({ InstanceId: node.instanceId }));
    await eventually(async () => channel.closed || undefined, { timeoutMs: 10_000, intervalMs: 100, what: "the channel on the other replica to close" });
  });
});

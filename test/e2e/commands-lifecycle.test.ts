import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CancelCommandCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { type FakeNode, registerFakeNode, replyPayload } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer } from "../harness/index.js";

describe("Run Command lifecycle: cancel, timeouts, restarts", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let away: FakeNode;
  let live: FakeNode;
  let poller: FakeNode;
  /** The test clock starts again from the wall clock when the server restarts: moved forward again after. */
  let advanced = 0;
  const advance = async (seconds: number) => {
    advanced += seconds;
    await server.advanceClock(seconds);
  };

  before(async () => {
    server = await startServer({ testClock: true, args: ["--agent-poll-seconds", "1"] });
    ssm = server.ssm();
    away = await registerFakeNode(server);
    live = await registerFakeNode(server);
    poller = await registerFakeNode(server);
  });
  after(() => server?.destroy());

  const command = async (commandId: string) => (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
  const invocation = (commandId: string, instanceId: string) => ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  const send = async (instanceId: string, extra: Record<string, unknown> = {}) =>
    String(
      (
        await ssm.send(
          new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [instanceId], Parameters: { commands: ["sleep 1"] }, ...extra }),
        )
      ).Command?.CommandId,
    );

  test("a command never delivered is Cancelled at once", async () => {
    const commandId = await send(away.instanceId);
    await ssm.send(new CancelCommandCommand({ CommandId: commandId }));
    const c = await command(commandId);
    assert.equal(c?.Status, "Cancelled");
    const inv = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }))).CommandInvocations?.[0];
    assert.equal(inv?.Status, "Cancelled");
    assert.equal(inv?.StatusDetails, "Canceled");
    await assert.rejects(ssm.send(new CancelCommandCommand({ CommandId: "00000000-0000-4000-8000-000000000000" })), { name: "InvalidCommandId" });
  });

  test("a running command is Cancelling until the agent confirms", async () => {
    const channel = await live.openControlChannel();
    try {
      const commandId = await send(live.instanceId);
      const job = await channel.nextJob((j) => j.job.JobId.includes(commandId));
      channel.ackJob(job);
      await eventually(async () => (await invocation(commandId, live.instanceId)).Status === "InProgress", { what: "InProgress" });
      await ssm.send(new CancelCommandCommand({ CommandId: commandId }));
      assert.equal((await command(commandId))?.Status, "Cancelling");
      const cancel = await channel.nextJob((j) => j.job.Topic === "aws.ssm.cancelCommand");
      assert.deepEqual(JSON.parse(cancel.job.Content), { CancelMessageId: job.job.JobId });
      channel.ackJob(cancel);
      await channel.reply(job.job.JobId, replyPayload("Cancelled"));
      const c = await eventually(async () => {
        const x = await command(commandId);
        return x?.Status === "Cancelled" ? x : undefined;
      });
      assert.equal(c.CompletedCount, 1);
      assert.equal((await invocation(commandId, live.instanceId)).StatusDetails, "Canceled");
    } finally {
      await channel.close();
    }
  });

  test("not delivered within TimeoutSeconds: DeliveryTimedOut, and the job is taken back", async () => {
    const commandId = await send(away.instanceId, { TimeoutSeconds: 30 });
    await advance(31);
    const c = await eventually(async () => {
      const x = await command(commandId);
      return x?.Status === "TimedOut" ? x : undefined;
    });
    assert.equal(c.StatusDetails, "DeliveryTimedOut");
    assert.equal(c.DeliveryTimedOutCount, 1);
    assert.equal(c.ErrorCount, 0);
    assert.equal((await invocation(commandId, away.instanceId)).StatusDetails, "DeliveryTimedOut");
    const msgs = await away.getMessages();
    assert.equal(msgs.filter((m) => m.MessageId.includes(commandId)).length, 0, "the node does not get a timed-out job");
  });

  test("running past the execution timeout: ExecutionTimedOut, and the agent is told to cancel", async () => {
    const commandId = await send(poller.instanceId, { Parameters: { commands: ["sleep 600"], executionTimeout: ["60"] } });
    const msg = await poller.nextMessage();
    await poller.acknowledge(msg.MessageId);
    await poller.sendReply(msg.MessageId, replyPayload("InProgress"));
    await advance(60 + 61);
    const c = await eventually(async () => {
      const x = await command(commandId);
      return x?.Status === "TimedOut" ? x : undefined;
    });
    assert.equal(c.StatusDetails, "ExecutionTimedOut");
    assert.equal(c.ErrorCount, 1);
    const cancel = await poller.nextMessage();
    assert.ok(cancel.Topic.startsWith("aws.ssm.cancelCommand"));
    assert.equal(JSON.parse(cancel.Payload).CancelMessageId, msg.MessageId);
    await poller.acknowledge(cancel.MessageId);
  });

  test("a delivery not acknowledged in time is Delayed, then handed out again", async () => {
    const commandId = await send(poller.instanceId);
    const first = (await poller.getMessages(10)).find((m) => m.MessageId.includes(commandId));
    assert.ok(first, "the job is handed out");
    assert.equal((await invocation(commandId, poller.instanceId)).Status, "InProgress");
    await advance(11);
    await eventually(async () => (await invocation(commandId, poller.instanceId)).Status === "Delayed", { what: "Delayed" });
    const again = await poller.nextMessage();
    assert.equal(again.MessageId, first.MessageId);
    assert.equal((await invocation(commandId, poller.instanceId)).Status, "InProgress");
    await poller.acknowledge(again.MessageId);
    await poller.sendReply(again.MessageId, replyPayload("Success"));
    await eventually(async () => (await command(commandId))?.Status === "Success", { what: "Success" });
  });

  test("a job the agent refuses fails the invocation (FailMessage, agent_job_ack error)", async () => {
    const polled = await send(poller.instanceId);
    const msg = await poller.nextMessage();
    assert.ok(msg.MessageId.includes(polled));
    assert.equal((await poller.ec2messages("FailMessage", { MessageId: msg.MessageId, FailureType: "NoHandlerExists" })).status, 200);
    await eventually(async () => (await command(polled))?.Status === "Failed", { what: "Failed after FailMessage" });
    assert.match(String((await ssm.send(new ListCommandInvocationsCommand({ CommandId: polled }))).CommandInvocations?.[0].TraceOutput), /NoHandlerExists/);

    const channel = await live.openControlChannel();
    try {
      const pushed = await send(live.instanceId);
      const job = await channel.nextJob((j) => j.job.JobId.includes(pushed));
      channel.ackJob(job, "51406");
      await eventually(async () => (await command(pushed))?.Status === "Failed", { what: "Failed after a refused agent_job_ack" });
    } finally {
      await channel.close();
    }
  });

  test("a server restarted mid-command loses nothing", async () => {
    const running = await send(poller.instanceId);
    const queued = await send(away.instanceId);
    const msg = await poller.nextMessage();
    assert.ok(msg.MessageId.includes(running));
    await poller.acknowledge(msg.MessageId);
    await server.stop();
    await server.restart();
    await server.advanceClock(advanced);
    await poller.sendReply(msg.MessageId, replyPayload("Success", { "aws:runShellScript": { status: "Success", stdout: "after restart\n" } }));
    await eventually(async () => (await command(running))?.Status === "Success", { what: "the running command to succeed" });
    const later = await away.nextMessage();
    assert.equal(later.MessageId, `aws.ssm.${queued}.${away.instanceId}`);
    await away.acknowledge(later.MessageId);
    await away.sendReply(later.MessageId, replyPayload("Success"));
    await eventually(async () => (await command(queued))?.Status === "Success", { what: "the queued command to succeed" });
  });
});

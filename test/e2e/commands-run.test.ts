import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { openStorage } from "@openssm/server";
import { type ControlChannel, type FakeNode, registerFakeNode, replyPayload, signRequest } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer } from "../harness/index.js";

async function events(server: TestServer, detailType: string): Promise<any[]> {
  const storage = openStorage(server.databaseUrl);
  try {
    const rows = await storage.db.selectFrom("event_log").select("body").where("detail_type", "=", detailType).orderBy("time").execute();
    return rows.map((r: { body: string }) => JSON.parse(r.body));
  } finally {
    await storage.close();
  }
}

describe("Run Command: delivery over MGS and ec2messages, replies, statuses, output", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let pushed: FakeNode;
  let polling: FakeNode;
  let channel: ControlChannel;

  before(async () => {
    server = await startServer({ testClock: true, args: ["--agent-poll-seconds", "2"] });
    ssm = server.ssm();
    pushed = await registerFakeNode(server, { Role: "web" });
    polling = await registerFakeNode(server, { Role: "web" });
    await registerFakeNode(server, { Role: "db" });
    channel = await pushed.openControlChannel();
  });
  after(async () => {
    await channel?.close();
    await server?.destroy();
  });

  test("SendCommand by tag reaches both nodes; replies in any order, repeated, give AWS's statuses and counts", async () => {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        Targets: [{ Key: "tag:Role", Values: ["web"] }],
        Parameters: { commands: ["echo hi"] },
        Comment: "two web nodes",
      }),
    );
    const cmd = sent.Command!;
    assert.equal(cmd.TargetCount, 2);
    assert.equal(cmd.MaxConcurrency, "50");
    assert.equal(cmd.MaxErrors, "0");
    assert.equal(cmd.Comment, "two web nodes");
    assert.ok(["Pending", "InProgress"].includes(String(cmd.Status)));
    const commandId = String(cmd.CommandId);

    // Pushed over the control channel.
    const received = await channel.nextJob((j) => j.job.JobId.includes(commandId));
    assert.equal(received.job.JobId, `aws.ssm.${commandId}.${pushed.instanceId}`);
    assert.equal(received.job.Topic, "aws.ssm.sendCommand");
    const content = JSON.parse(received.job.Content);
    assert.equal(content.CommandId, commandId);
    assert.equal(content.DocumentName, "AWS-RunShellScript");
    assert.deepEqual(content.Parameters.commands, ["echo hi"]);
    assert.ok(content.DocumentContent.schemaVersion);
    channel.ackJob(received);

    // Picked up by polling.
    const message = await polling.nextMessage();
    assert.equal(message.MessageId, `aws.ssm.${commandId}.${polling.instanceId}`);
    assert.ok(message.CreatedDate.length >= 24);
    assert.equal(JSON.parse(message.Payload).CommandId, commandId);
    assert.equal((await polling.acknowledge(message.MessageId)).status, 200);

    const listed = await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }));
    const plugin = String(listed.CommandInvocations?.[0].CommandPlugins?.[0].Name);
    assert.ok(plugin);

    const jobId = received.job.JobId;
    await channel.reply(jobId, replyPayload("InProgress", { [plugin]: { status: "InProgress", stdout: "h" } }));
    const success = replyPayload("Success", { [plugin]: { status: "Success", code: 0, stdout: "hi\n" } });
    await channel.reply(jobId, success, "00000000-0000-4000-8000-000000000001");
    // A late InProgress and a repeated Success change nothing.
    await channel.reply(jobId, replyPayload("InProgress", { [plugin]: { status: "InProgress", stdout: "" } }));
    await channel.reply(jobId, success, "00000000-0000-4000-8000-000000000001");

    const failed = replyPayload("Failed", { [plugin]: { status: "Failed", code: 2, stderr: "boom\n" } });
    assert.equal((await polling.sendReply(message.MessageId, failed, "11111111-2222-4333-8444-555555555555")).body.ReplyStatus, "Created");
    assert.equal((await polling.sendReply(message.MessageId, failed, "11111111-2222-4333-8444-555555555555")).body.ReplyStatus, "NoActionTaken");
    await polling.sendReply(message.MessageId, replyPayload("InProgress"));

    const done = await eventually(async () => {
      const c = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
      return c?.CompletedCount === 2 ? c : undefined;
    });
    assert.equal(done.Status, "Failed");
    assert.equal(done.StatusDetails, "Failed");
    assert.equal(done.ErrorCount, 1);
    assert.equal(done.DeliveryTimedOutCount, 0);

    const ok = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: pushed.instanceId }));
    assert.equal(ok.Status, "Success");
    assert.equal(ok.StatusDetails, "Success");
    assert.equal(ok.ResponseCode, 0);
    assert.equal(ok.StandardOutputContent, "hi\n");
    assert.equal(ok.PluginName, plugin);
    const bad = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: polling.instanceId, PluginName: plugin }));
    assert.equal(bad.Status, "Failed");
    assert.equal(bad.ResponseCode, 2);
    assert.equal(bad.StandardErrorContent, "boom\n");

    const invs = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }))).CommandInvocations ?? [];
    assert.deepEqual(invs.map((i) => `${i.InstanceId}:${i.Status}`).sort(), [`${pushed.instanceId}:Success`, `${polling.instanceId}:Failed`].sort());
    const p = invs.find((i) => i.InstanceId === pushed.instanceId)?.CommandPlugins?.[0];
    assert.equal(p?.Status, "Success");
    assert.equal(p?.Output, "hi\n");

    await assert.rejects(ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: "mi-0123456789abcdef0" })), {
      name: "InvocationDoesNotExist",
    });
    await assert.rejects(ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: pushed.instanceId, PluginName: "nope" })), {
      name: "InvalidPluginName",
    });

    const commandEvents = (await events(server, "EC2 Command Status-change Notification")).filter((e) => e.detail["command-id"] === commandId);
    assert.deepEqual(
      commandEvents.map((e) => e.detail.status),
      ["Pending", "InProgress", "Failed"],
    );
    const invocationEvents = (await events(server, "EC2 Command Invocation Status-change Notification")).filter((e) => e.detail["command-id"] === commandId);
    assert.ok(invocationEvents.some((e) => e.detail["instance-id"] === pushed.instanceId && e.detail.status === "Success"));
    assert.ok(invocationEvents.some((e) => e.detail["instance-id"] === polling.instanceId && e.detail.status === "Failed"));
  });

  test("output streamed in pieces is kept whole: the API shows the first 24,000 characters, StandardOutputUrl all of it", async () => {
    const sent = await ssm.send(
      new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [pushed.instanceId], Parameters: { commands: ["yes"] } }),
    );
    const commandId = String(sent.Command?.CommandId);
    const job = await channel.nextJob((j) => j.job.JobId.includes(commandId));
    channel.ackJob(job);
    const plugin = String(
      (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }))).CommandInvocations?.[0].CommandPlugins?.[0].Name,
    );
    const whole = Array.from({ length: 4000 }, (_, i) => `line ${String(i).padStart(4, "0")}\n`).join("");
    assert.ok(whole.length > 30_000);
    const pieces = [0, 10_000, 20_000].map((at) => ({ at, text: whole.slice(at, at + 10_000) }));
    // Out of order, one repeated.
    for (const piece of [pieces[2], pieces[0], pieces[1], pieces[1]]) {
      await channel.reply(job.job.JobId, replyPayload("InProgress", { [plugin]: { status: "InProgress", stdout: piece.text, stdoutOffset: piece.at } }));
    }
    await channel.reply(job.job.JobId, replyPayload("Success", { [plugin]: { status: "Success", stdout: whole.slice(30_000), stdoutOffset: 30_000 } }));
    const inv = await eventually(async () => {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: pushed.instanceId }));
      return r.Status === "Success" ? r : undefined;
    });
    assert.equal(inv.StandardOutputContent, whole.slice(0, 24_000));
    const url = new URL(String(inv.StandardOutputUrl));
    assert.match(url.pathname, new RegExp(`^/v1/command-output/${commandId}/${pushed.instanceId}/`));
    const headers = signRequest({ method: "GET", url, body: "" }, server.admin, "us-east-1", "ssm");
    const res = await fetch(url, { headers });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), whole);
    const unsigned = await fetch(url);
    assert.equal(unsigned.status, 403);
  });
  test("AWS's agent sends at most 24,000 bytes of a stream: a cut stream gets no URL, one sent whole keeps it", async () => {
    const sent = await ssm.send(
      new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [pushed.instanceId], Parameters: { commands: ["yes | head -c 100000"] } }),
    );
    const commandId = String(sent.Command?.CommandId);
    const job = await channel.nextJob((j) => j.job.JobId.includes(commandId));
    channel.ackJob(job);
    const plugin = String(
      (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }))).CommandInvocations?.[0].CommandPlugins?.[0].Name,
    );
    // As amazon-ssm-agent sends it: the whole text so far, no offset, cut to 24,000 bytes with its suffix.
    const cut = `${"y\n".repeat(11_990)}--output truncated--`;
    assert.equal(Buffer.byteLength(cut), 24_000);
    await channel.reply(job.job.JobId, replyPayload("Success", { [plugin]: { status: "Success", stdout: cut, stderr: "head: write error\n" } }));
    const inv = await eventually(async () => {
      const r = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: pushed.instanceId }));
      return r.Status === "Success" ? r : undefined;
    });
    assert.equal(inv.StandardOutputContent, cut);
    assert.equal(inv.StandardOutputUrl, "", "no URL for output this server does not hold whole");
    assert.match(String(inv.StandardErrorUrl), /\/v1\/command-output\/.*\/stderr$/);
    const listed = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }))).CommandInvocations?.[0];
    assert.equal(listed?.StandardOutputUrl, "");
    assert.equal(listed?.StandardErrorUrl, inv.StandardErrorUrl);
    assert.equal(listed?.CommandPlugins?.[0].StandardOutputUrl, "");
    assert.equal(listed?.CommandPlugins?.[0].StandardErrorUrl, inv.StandardErrorUrl);

    const get = async (url: URL) => fetch(url, { headers: signRequest({ method: "GET", url, body: "" }, server.admin, "us-east-1", "ssm") });
    const stderr = await get(new URL(String(inv.StandardErrorUrl)));
    assert.equal(await stderr.text(), "head: write error\n");
    assert.equal(stderr.headers.get("x-openssm-output-complete"), "true");
    // Asked for anyway, the stdout route serves what it holds and says it is not the whole.
    const stdout = await get(new URL(String(inv.StandardErrorUrl).replace(/stderr$/, "stdout")));
    assert.equal(await stdout.text(), cut);
    assert.equal(stdout.headers.get("x-openssm-output-complete"), "false");
  });
  test("NotificationConfig: the chosen statuses of the chosen type become Run Command Notification events", async () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:run-command";
    const run = async (config: { NotificationEvents: string[]; NotificationType: string }, outcome: "Success" | "Failed") => {
      const sent = await ssm.send(
        new SendCommandCommand({
          DocumentName: "AWS-RunShellScript",
          InstanceIds: [pushed.instanceId],
          Parameters: { commands: ["echo notify"] },
          NotificationConfig: { NotificationArn: topic, ...config } as never,
        }),
      );
      const commandId = String(sent.Command?.CommandId);
      const job = await channel.nextJob((j) => j.job.JobId.includes(commandId));
      channel.ackJob(job);
      const plugin = String(
        (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true }))).CommandInvocations?.[0].CommandPlugins?.[0].Name,
      );
      await channel.reply(job.job.JobId, replyPayload("InProgress", { [plugin]: { status: "InProgress", stdout: "" } }));
      await channel.reply(job.job.JobId, replyPayload(outcome, { [plugin]: { status: outcome, code: outcome === "Success" ? 0 : 1, stdout: "notify\n" } }));
      await eventually(async () => {
        const c = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
        return c?.Status === outcome;
      });
      return commandId;
    };
    const notified = async (commandId: string) => (await events(server, "Run Command Notification")).filter((e) => e.detail.commandId === commandId);

    // Command summaries, only Success and Failed: one message, for the end.
    const summary = await run({ NotificationEvents: ["Success", "Failed"], NotificationType: "Command" }, "Failed");
    const s = await notified(summary);
    assert.deepEqual(
      s.map((e) => e.detail.status),
      ["Failed"],
    );
    assert.deepEqual(s[0].resources, [topic]);
    assert.deepEqual(s[0].detail.instanceIds, [pushed.instanceId]);
    assert.equal(s[0].detail.documentName, "AWS-RunShellScript");
    for (const field of ["requestedDateTime", "expiresAfter", "eventTime"]) assert.match(String(s[0].detail[field]), /^\d{4}-\d\d-\d\dT/);

    // Invocations, All: the node's InProgress and Success (never Pending), and no summaries.
    const perNode = await run({ NotificationEvents: ["All"], NotificationType: "Invocation" }, "Success");
    const i = await notified(perNode);
    assert.deepEqual(
      i.map((e) => `${e.detail.instanceId}:${e.detail.status}`),
      [`${pushed.instanceId}:InProgress`, `${pushed.instanceId}:Success`],
    );
    assert.equal(i[0].detail.instanceIds, undefined);

    // Events that were not chosen send nothing.
    const quiet = await run({ NotificationEvents: ["TimedOut", "Cancelled"], NotificationType: "Command" }, "Success");
    assert.deepEqual(await notified(quiet), []);
  });
});

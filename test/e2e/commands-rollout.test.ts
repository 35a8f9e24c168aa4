import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { type ControlChannel, type FakeNode, registerFakeNode, replyPayload } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer } from "../harness/index.js";

describe("Run Command rate control: MaxConcurrency and MaxErrors", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const nodes: FakeNode[] = [];
  const channels: ControlChannel[] = [];

  before(async () => {
    server = await startServer({ args: ["--agent-poll-seconds", "1"] });
    ssm = server.ssm();
    for (let i = 0; i < 3; i++) nodes.push(await registerFakeNode(server, { Fleet: "canary" }));
    for (const n of nodes) channels.push(await n.openControlChannel());
  });
  after(async () => {
    for (const c of channels) await c.close();
    await server?.destroy();
  });

  const statuses = async (commandId: string) => {
    const invs = (await ssm.send(new ListCommandInvocationsCommand({ CommandId: commandId }))).CommandInvocations ?? [];
    return Object.fromEntries(invs.map((i) => [i.InstanceId, String(i.StatusDetails)]));
  };
  const jobFor = (commandId: string) => async () => {
    for (const [i, c] of channels.entries()) {
      const j = c.jobs.find((x) => x.job.JobId.includes(commandId));
      if (j) return { index: i, received: j };
    }
    return undefined;
  };

  test("one at a time; the first failure past MaxErrors 0 stops the rollout (Terminated)", async () => {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        Targets: [{ Key: "tag:Fleet", Values: ["canary"] }],
        Parameters: { commands: ["false"] },
        MaxConcurrency: "1",
      }),
    );
    const commandId = String(sent.Command?.CommandId);
    assert.equal(sent.Command?.MaxConcurrency, "1");
    const first = await eventually(jobFor(commandId), { what: "the first job" });
    const before = await statuses(commandId);
    assert.equal(Object.values(before).filter((s) => s === "Pending").length, 2, "the other two wait");
    assert.equal(channels.filter((c) => c.jobs.some((j) => j.job.JobId.includes(commandId))).length, 1);
    channels[first.index].ackJob(first.received);
    await channels[first.index].reply(first.received.job.JobId, replyPayload("Failed"));
    const done = await eventually(async () => {
      const c = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
      return c?.CompletedCount === 3 ? c : undefined;
    });
    assert.equal(done.Status, "Failed");
    assert.equal(done.ErrorCount, 1);
    const after = await statuses(commandId);
    assert.equal(after[nodes[first.index].instanceId], "Failed");
    assert.deepEqual(
      Object.entries(after)
        .filter(([id]) => id !== nodes[first.index].instanceId)
        .map(([, s]) => s),
      ["Terminated", "Terminated"],
    );
    assert.equal(channels.filter((c) => c.jobs.some((j) => j.job.JobId.includes(commandId))).length, 1, "no other node got the job");
  });

  test("the next node starts as the previous finishes; within MaxErrors the command ends Incomplete", async () => {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: "AWS-RunShellScript",
        Targets: [{ Key: "tag:Fleet", Values: ["canary"] }],
        Parameters: { commands: ["true"] },
        MaxConcurrency: "34%",
        MaxErrors: "1",
      }),
    );
    const commandId = String(sent.Command?.CommandId);
    const outcomes = ["Success", "Failed", "Success"];
    const seen = new Set<number>();
    for (const outcome of outcomes) {
      const next = await eventually(
        async () => {
          for (const [i, c] of channels.entries()) {
            if (seen.has(i)) continue;
            const j = c.jobs.find((x) => x.job.JobId.includes(commandId));
            if (j) return { index: i, received: j };
          }
          return undefined;
        },
        { what: "the next job" },
      );
      seen.add(next.index);
      assert.equal(channels.filter((c) => c.jobs.some((j) => j.job.JobId.includes(commandId))).length, seen.size, "only one node at a time");
      channels[next.index].ackJob(next.received);
      await channels[next.index].reply(next.received.job.JobId, replyPayload(outcome));
    }
    const done = await eventually(async () => {
      const c = (await ssm.send(new ListCommandsCommand({ CommandId: commandId }))).Commands?.[0];
      return c?.CompletedCount === 3 ? c : undefined;
    });
    assert.equal(done.Status, "Failed");
    assert.equal(done.StatusDetails, "Incomplete");
    assert.equal(done.ErrorCount, 1);
  });
});

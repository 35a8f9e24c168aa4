import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from "@aws-sdk/client-ssm";
import { type RunningServer, startServer } from "@openssm/server";
import pino from "pino";
import { capabilities } from "../../packages/server/src/capabilities/index.js";
import { type AssociationExecutionResult, type NodeAssociation, provideNodeAssociations } from "../../packages/server/src/capabilities/nodes/index.js";
import type { Capability } from "../../packages/server/src/runtime.js";
import { type FakeNode, registerFakeNode, replyPayload } from "../harness/fake-node.js";
import { createDatabase, type Credentials, eventually, type TestServer, testEngine } from "../harness/index.js";

/** A server started in this process, and what the harness's FakeNode needs of it. */
interface InProcess {
  running: RunningServer;
  view: TestServer;
  cleanup(): Promise<void>;
}

async function startInProcess(extra: Capability[] = []): Promise<InProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "openssm-inproc-"));
  const pg = testEngine === "postgres" ? await createDatabase() : undefined;
  const admin: Credentials = { accessKeyId: `AKIATEST${randomBytes(6).toString("hex").toUpperCase()}`, secretAccessKey: randomBytes(20).toString("hex") };
  const running = await startServer(
    {
      port: 0,
      tlsPort: 0,
      dataDir,
      databaseUrl: pg?.url ?? `sqlite:${join(dataDir, "openssm.db")}`,
      masterKey: randomBytes(32).toString("base64"),
      adminAccessKeyId: admin.accessKeyId,
      adminSecretAccessKey: admin.secretAccessKey,
      testClock: true,
      agentPollSeconds: 1,
      schedulerIntervalMs: 200,
    },
    { log: pino({ level: "silent" }), capabilities: [...capabilities, ...extra] },
  );
  const ssm = (creds: Credentials = admin, region = "us-east-1") => new SSMClient({ endpoint: running.url, region, credentials: creds, maxAttempts: 1 });
  const view = {
    endpoint: running.url,
    tlsEndpoint: String(running.tlsUrl),
    caFile: String(running.caCertFile),
    region: "us-east-1",
    admin,
    ssm,
    async advanceClock(seconds: number) {
      const res = await fetch(`${running.url}/_openssm/clock`, { method: "POST", body: JSON.stringify({ advanceSeconds: seconds }) });
      if (!res.ok) throw new Error(`advancing the clock failed: ${res.status}`);
    },
  } as unknown as TestServer;
  return {
    running,
    view,
    async cleanup() {
      await running.close();
      await pg?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A test double of the association source (the seam State Manager fills), to check the seam on its own. */
const reports: { instanceId: string; associationId: string; result: AssociationExecutionResult }[] = [];
const stateManagerStandIn: Capability = {
  name: "association-source-double",
  start(services) {
    const forNode = (instanceId: string): NodeAssociation[] =>
      ["a3", "a1", "a2"].map((n) => ({ AssociationId: `${instanceId}-${n}`, Name: "AWS-RunShellScript", InstanceId: instanceId, DocumentVersion: "$DEFAULT" }));
    provideNodeAssociations(services, {
      forNode: async (_ctx, instanceId) => forNode(instanceId),
      async reportExecution(_ctx, instanceId, associationId, result) {
        if (!forNode(instanceId).some((a) => a.AssociationId === associationId)) return false;
        reports.push({ instanceId, associationId, result });
        return true;
      },
    });
  },
};

/** Per-server state lives on each server's wiring: two servers in one process share none of it. */
describe("two servers in one process", () => {
  let first: InProcess;
  let second: InProcess;
  let firstNode: FakeNode;
  let node: FakeNode;
  let away: FakeNode;

  before(async () => {
    first = await startInProcess();
    second = await startInProcess([stateManagerStandIn]);
    firstNode = await registerFakeNode(first.view);
    node = await registerFakeNode(second.view);
    away = await registerFakeNode(second.view);
  });
  after(async () => {
    await first?.cleanup();
    await second?.cleanup();
  });

  it("stopping one leaves the other's control channels, polls and scheduler working", async () => {
    const firstChannel = await firstNode.openControlChannel();
    await first.running.close();
    await firstChannel.until(() => firstChannel.closed, 5_000, "the stopped server's channel to close");

    // The second server still holds polls (a stopped hub would answer at once) and opens channels.
    const started = Date.now();
    assert.deepEqual(await node.getMessages(), []);
    assert.ok(Date.now() - started >= 900, "the poll was held for --agent-poll-seconds 1");
    const channel = await node.openControlChannel();
    try {
      const ssm = second.view.ssm();
      const sent = await ssm.send(
        new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [node.instanceId], Parameters: { commands: ["true"] } }),
      );
      const commandId = String(sent.Command?.CommandId);
      const job = await channel.nextJob((j) => j.job.JobId.includes(commandId));
      channel.ackJob(job);
      await channel.reply(job.job.JobId, replyPayload("Success", { "aws:runShellScript": { status: "Success", stdout: "ok\n" } }));
      await eventually(
        async () => (await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: node.instanceId }))).Status === "Success",
        {
          what: "the command to succeed on the running server",
        },
      );

      // Its scheduler still runs: a command nobody picks up times out when the clock passes its delivery timeout.
      const lost = await ssm.send(
        new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [away.instanceId], Parameters: { commands: ["true"] }, TimeoutSeconds: 30 }),
      );
      await second.view.advanceClock(60);
      await eventually(
        async () =>
          (await ssm.send(new GetCommandInvocationCommand({ CommandId: String(lost.Command?.CommandId), InstanceId: away.instanceId }))).StatusDetails ===
          "DeliveryTimedOut",
        { what: "DeliveryTimedOut from the running server's scheduler" },
      );
    } finally {
      await channel.close();
    }
  });

  it("a node's associations come from the capability that provides them, paged, and its reports reach it", async () => {
    const page1 = await node.ssm("ListInstanceAssociations", { InstanceId: node.instanceId, MaxResults: 2 });
    assert.equal(page1.status, 200, JSON.stringify(page1.body));
    assert.deepEqual(
      page1.body.Associations.map((a: NodeAssociation) => a.AssociationId),
      [`${node.instanceId}-a1`, `${node.instanceId}-a2`],
    );
    assert.ok(page1.body.NextToken);
    const page2 = await node.ssm("ListInstanceAssociations", { InstanceId: node.instanceId, MaxResults: 2, NextToken: page1.body.NextToken });
    assert.deepEqual(
      page2.body.Associations.map((a: NodeAssociation) => a.AssociationId),
      [`${node.instanceId}-a3`],
    );
    assert.equal(page2.body.NextToken, undefined);

    const result = { Status: "Success", ExecutionDate: 1_700_000_000, ExecutionSummary: "1 out of 1 plugin processed, 1 success" };
    const ok = await node.ssm("UpdateInstanceAssociationStatus", {
      AssociationId: `${node.instanceId}-a2`,
      InstanceId: node.instanceId,
      ExecutionResult: result,
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(reports.length, 1);
    assert.equal(reports[0].associationId, `${node.instanceId}-a2`);
    assert.equal(reports[0].result.ExecutionDate.getTime(), 1_700_000_000_000);
    const unknown = await node.ssm("UpdateInstanceAssociationStatus", { AssociationId: randomUUID(), InstanceId: node.instanceId, ExecutionResult: result });
    assert.equal(unknown.error, "AssociationDoesNotExist");
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DescribeOpsItemsCommand, GetOpsItemCommand, type OpsItemSummary, SendCommandCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { awsCli, eventually, startServer, type TestServer } from "../harness/index.js";
import { type AgentProcess, createActivation, invocationsDone, launchAgent, stopAllAgents } from "./agent-support.js";

/** The OpsItems the failed-command rule opened for one command (found by its searchable CommandId). */
async function itemsForCommand(ssm: SSMClient, commandId: string): Promise<OpsItemSummary[]> {
  const r = await ssm.send(
    new DescribeOpsItemsCommand({
      OpsItemFilters: [{ Key: "OperationalData", Operator: "Equal", Values: [JSON.stringify({ key: "CommandId", value: commandId })] }],
      MaxResults: 50,
    }),
  );
  return r.OpsItemSummaries ?? [];
}

const resourcesOf = (data: Record<string, { Value?: string }> | undefined) =>
  (JSON.parse(data?.["/aws/resources"]?.Value ?? "[]") as { arn: string }[]).map((r) => r.arn).sort();

describe("OpsCenter rules: a failed Run Command opens exactly one OpsItem (real openssm-agent processes)", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const agents: AgentProcess[] = [];

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    const act = await createActivation(server);
    // Both at once: registering and connecting an agent is most of this file's time.
    agents.push(...(await Promise.all([launchAgent(server, act, "mgs", { name: "rules-1" }), launchAgent(server, act, "poll", { name: "rules-2" })])));
  });
  after(async () => {
    await stopAllAgents(agents.map((a) => a.dataDir));
    await server?.destroy();
  });

  const sendFailing = async (script = "exit 3") =>
    String(
      (
        await ssm.send(
          new SendCommandCommand({
            DocumentName: "AWS-RunShellScript",
            InstanceIds: agents.map((a) => a.instanceId),
            Parameters: { commands: [script] },
          }),
        )
      ).Command?.CommandId,
    );

  test("`exit 3` on two nodes: one OpsItem for the command, naming both nodes; the command's own failure adds none", async () => {
    const commandId = await sendFailing();
    const invocations = await invocationsDone(server, commandId, 60_000);
    assert.deepEqual(
      invocations.map((i) => [i.Status, i.CommandPlugins?.[0]?.ResponseCode]),
      [
        ["Failed", 3],
        ["Failed", 3],
      ],
    );
    // Three reports of one failure (each node's invocation, then the command): one item, both nodes in it.
    const item = await eventually(
      async () => {
        const items = await itemsForCommand(ssm, commandId);
        if (items.length !== 1) return undefined;
        const full = (await ssm.send(new GetOpsItemCommand({ OpsItemId: items[0].OpsItemId }))).OpsItem;
        return resourcesOf(full?.OperationalData).length === 2 ? full : undefined;
      },
      { what: `one OpsItem naming both nodes for ${commandId}`, timeoutMs: 30_000 },
    );
    assert.equal(item.OpsItemType, "/aws/issue");
    assert.equal(item.Status, "Open");
    assert.equal(item.Severity, "2");
    assert.equal(item.Category, "Availability");
    assert.equal(item.Source, "SSM");
    assert.match(String(item.Title), new RegExp(`Run Command ${commandId} \\(AWS-RunShellScript\\) failed`));
    assert.match(String(item.CreatedBy), /^arn:aws:events:.*:rule\/openssm-opsitem-failed-command$/);
    assert.deepEqual(
      resourcesOf(item.OperationalData),
      agents.map((a) => `arn:aws:ssm:${server.region}:${String(item.OpsItemArn).split(":")[4]}:managed-instance/${a.instanceId}`).sort(),
    );
    assert.equal(JSON.parse(String(item.OperationalData?.["/aws/dedup"]?.Value)).dedupString, `openssm:run-command:${commandId}`);
    // The command's own Failed event is processed too; once the item has both nodes, it stays one.
    const listed = await awsCli(server, ["ssm", "describe-ops-items", "--ops-item-filters", `Key=OperationalDataValue,Values=${commandId},Operator=Equal`]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(
      listed.json.OpsItemSummaries.map((s: { OpsItemId: string }) => s.OpsItemId),
      [item.OpsItemId],
    );
  });

  test("a successful command opens nothing; a second failing command opens its own item", async () => {
    const ok = String(
      (await ssm.send(new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [agents[0].instanceId], Parameters: { commands: ["true"] } })))
        .Command?.CommandId,
    );
    const second = await sendFailing("echo boom >&2; exit 7");
    await invocationsDone(server, ok, 60_000);
    await invocationsDone(server, second, 60_000);
    await eventually(async () => (await itemsForCommand(ssm, second)).length === 1, { what: "the second command's item" });
    assert.deepEqual(await itemsForCommand(ssm, ok), []);
  });
});

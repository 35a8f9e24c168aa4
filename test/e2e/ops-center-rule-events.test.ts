import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateAssociationCommand,
  DescribeOpsItemsCommand,
  GetOpsItemCommand,
  ResetServiceSettingCommand,
  type SSMClient,
  UpdateServiceSettingCommand,
} from "@aws-sdk/client-ssm";
import { eventually, startServer, type TestServer } from "../harness/index.js";
import { createRunbook, start, waitFor } from "./automation-support.js";
import { registerFakeNode } from "../harness/fake-node.js";

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error("expected an error");
};

describe("OpsCenter rules from events and periodic checks: connection lost, failed automation, settings", () => {
  let server: TestServer;
  let ssm: SSMClient;

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
  });
  after(async () => {
    await server?.destroy();
  });

  test("the connection-lost rule: a node silent past the online window opens one OpsItem per loss of contact; Disabled opens none", async () => {
    const lostItems = async (instanceId: string) =>
      (
        await ssm.send(
          new DescribeOpsItemsCommand({
            OpsItemFilters: [{ Key: "OperationalData", Operator: "Equal", Values: [JSON.stringify({ key: "InstanceId", value: instanceId })] }],
          }),
        )
      ).OpsItemSummaries ?? [];
    const report = async (node: Awaited<ReturnType<typeof registerFakeNode>>) => {
      const info = await node.ssm("UpdateInstanceInformation", {
        InstanceId: node.instanceId,
        AgentName: "amazon-ssm-agent",
        AgentVersion: "3.3.0.0",
        PlatformType: "Linux",
      });
      assert.equal(info.status, 200, JSON.stringify(info.body));
    };
    const node = await registerFakeNode(server);
    await report(node);
    assert.deepEqual(await lostItems(node.instanceId), []);
    // advanceClock runs the due scheduled work (the periodic check) before it returns.
    await server.advanceClock(7 * 60);
    const [item] = await lostItems(node.instanceId);
    assert.ok(item, "the connection-lost OpsItem");
    assert.equal(item.Severity, "3");
    assert.equal(item.Category, "Availability");
    assert.match(String(item.Title), new RegExp(`${node.instanceId}.*lost its connection`));
    // More checks of the same silence open nothing more.
    await server.advanceClock(60);
    await server.advanceClock(60);
    assert.equal((await lostItems(node.instanceId)).length, 1);
    // Heard from again, then silent again while the first item is still open: the dedup string folds it in.
    await report(node);
    await server.advanceClock(7 * 60);
    assert.equal((await lostItems(node.instanceId)).length, 1);

    // Switched off by its service setting, a loss of contact opens nothing.
    await ssm.send(new UpdateServiceSettingCommand({ SettingId: "/ssm/opsitem/rules/connection-lost", SettingValue: "Disabled" }));
    const quiet = await registerFakeNode(server);
    await report(quiet);
    await server.advanceClock(7 * 60);
    assert.deepEqual(await lostItems(quiet.instanceId), []);
    await ssm.send(new ResetServiceSettingCommand({ SettingId: "/ssm/opsitem/rules/connection-lost" }));
    const bad = await errorOf(ssm.send(new UpdateServiceSettingCommand({ SettingId: "/ssm/opsitem/rules/connection-lost", SettingValue: "urgent" })));
    assert.equal(bad.name, "ValidationException");
    assert.match(bad.message, /Disabled, 1, 2, 3, 4/);
  });

  test("a failed automation opens one OpsItem (its failed child execution none of its own)", async () => {
    await createRunbook(ssm, "OpsRuleChildFails", {
      schemaVersion: "0.3",
      mainSteps: [{ name: "read", action: "aws:executeAwsApi", inputs: { Service: "ssm", Api: "GetParameter", Name: "/ops-rule/missing" } }],
    });
    await createRunbook(ssm, "OpsRuleParent", {
      schemaVersion: "0.3",
      mainSteps: [{ name: "run", action: "aws:executeAutomation", inputs: { DocumentName: "OpsRuleChildFails" } }],
    });
    const id = await start(ssm, { DocumentName: "OpsRuleParent" });
    const e = await waitFor(server, id);
    assert.equal(e.AutomationExecutionStatus, "Failed");
    const forExecution = async (executionId: string) =>
      (
        await ssm.send(
          new DescribeOpsItemsCommand({
            OpsItemFilters: [{ Key: "OperationalData", Operator: "Equal", Values: [JSON.stringify({ key: "AutomationExecutionId", value: executionId })] }],
          }),
        )
      ).OpsItemSummaries ?? [];
    const [item] = await eventually(
      async () => {
        const items = await forExecution(id);
        return items.length ? items : undefined;
      },
      { what: "the failed automation's OpsItem" },
    );
    assert.match(String(item.Title), new RegExp(`Automation ${id} \\(OpsRuleParent\\) failed`));
    assert.equal(item.Severity, "2");
    const all = (
      await ssm.send(
        new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: "OperationalDataValue", Operator: "Contains", Values: ["OpsRule"] }], MaxResults: 50 }),
      )
    ).OpsItemSummaries;
    assert.deepEqual(
      all?.map((s) => s.OpsItemId),
      [item.OpsItemId],
      "the child's failure is told by its parent's item",
    );
  });

  test("an association that leaves a node NON_COMPLIANT opens an OpsItem about that node", async () => {
    const node = await registerFakeNode(server);
    const created = await ssm.send(
      new CreateAssociationCommand({
        Name: "AWS-RunShellScript",
        Parameters: { commands: ["false"] },
        Targets: [{ Key: "InstanceIds", Values: [node.instanceId] }],
        ComplianceSeverity: "HIGH",
      }),
    );
    const associationId = String(created.AssociationDescription?.AssociationId);
    const reported = await node.ssm("UpdateInstanceAssociationStatus", {
      AssociationId: associationId,
      InstanceId: node.instanceId,
      ExecutionResult: { Status: "Failed", ExecutionDate: Date.now() / 1000, ExecutionSummary: "exit status 1", ErrorCode: "1" },
    });
    assert.equal(reported.status, 200, JSON.stringify(reported.body));
    const [item] = await eventually(
      async () => {
        const items =
          (
            await ssm.send(
              new DescribeOpsItemsCommand({
                OpsItemFilters: [{ Key: "OperationalData", Operator: "Equal", Values: [JSON.stringify({ key: "ResourceId", value: node.instanceId })] }],
              }),
            )
          ).OpsItemSummaries ?? [];
        return items.length ? items : undefined;
      },
      { what: "the association compliance OpsItem" },
    );
    assert.equal(item.Severity, "3");
    assert.equal(item.Category, "Security");
    assert.match(String(item.Title), new RegExp(`Association compliance of ${node.instanceId} is NON_COMPLIANT`));
    const full = (await ssm.send(new GetOpsItemCommand({ OpsItemId: item.OpsItemId }))).OpsItem;
    assert.deepEqual(JSON.parse(String(full?.OperationalData?.["/aws/resources"]?.Value)), [
      { arn: String(full?.OpsItemArn).replace(/opsitem\/.*$/, `managed-instance/${node.instanceId}`) },
    ]);
  });
});

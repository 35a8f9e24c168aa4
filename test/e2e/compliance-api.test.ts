import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  ListComplianceItemsCommand,
  ListComplianceSummariesCommand,
  ListResourceComplianceSummariesCommand,
  PutComplianceItemsCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { type FakeNode, registerFakeNode } from "../harness/fake-node.js";
import { awsCli, eventually, startServer, type TestServer, webhookReceiver } from "../harness/index.js";

describe("Compliance: PutComplianceItems COMPLETE and PARTIAL, listings with filters, state change events", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let hook: Awaited<ReturnType<typeof webhookReceiver>>;
  const events: any[] = [];
  const nodes: FakeNode[] = [];

  before(async () => {
    hook = await webhookReceiver(events);
    server = await startServer({ args: ["--webhook", hook.url] });
    ssm = server.ssm();
    for (let i = 0; i < 2; i++) nodes.push(await registerFakeNode(server));
    for (const [i, n] of nodes.entries()) {
      await n.ssm("UpdateInstanceInformation", {
        InstanceId: n.instanceId,
        AgentName: "amazon-ssm-agent",
        AgentVersion: "3.3.0.0",
        PlatformType: i ? "Windows" : "Linux",
        PlatformName: i ? "Windows Server" : "Ubuntu",
      });
    }
  });
  after(async () => {
    await server?.destroy();
    await hook?.close();
  });

  test("custom compliance through the aws CLI, as the user guide shows it", async () => {
    const r = await awsCli(server, [
      "ssm",
      "put-compliance-items",
      "--resource-id",
      nodes[0].instanceId,
      "--resource-type",
      "ManagedInstance",
      "--compliance-type",
      "Custom:CISBenchmark",
      "--execution-summary",
      "ExecutionTime=2024-05-01T10:00:00Z",
      "--items",
      "Id=1.1.1,Title=Disable cramfs,Severity=HIGH,Status=NON_COMPLIANT",
      "Id=1.1.2,Title=Disable freevxfs,Severity=LOW,Status=COMPLIANT",
    ]);
    assert.equal(r.code, 0, r.stderr);
    const items = await ssm.send(new ListComplianceItemsCommand({ ResourceIds: [nodes[0].instanceId], ResourceTypes: ["ManagedInstance"] }));
    assert.deepEqual(items.ComplianceItems?.map((i) => [i.Id, i.Status, i.Severity]).sort(), [
      ["1.1.1", "NON_COMPLIANT", "HIGH"],
      ["1.1.2", "COMPLIANT", "LOW"],
    ]);
    const nonCompliant = await ssm.send(
      new ListComplianceItemsCommand({ ResourceIds: [nodes[0].instanceId], Filters: [{ Key: "Status", Values: ["NON_COMPLIANT"], Type: "EQUAL" }] }),
    );
    assert.deepEqual(
      nonCompliant.ComplianceItems?.map((i) => i.Id),
      ["1.1.1"],
    );
    const event = await eventually(
      async () => events.find((e) => e["detail-type"] === "Configuration Compliance State Change" && e.detail["compliance-type"] === "Custom:CISBenchmark"),
      {
        what: "a compliance state change event",
      },
    );
    assert.equal(event.source, "aws.ssm");
    assert.equal(event.detail["compliance-status"], "NON_COMPLIANT");
    assert.equal(event.detail["resource-type"], "ManagedInstance");
    assert.equal(event.detail.severity, "HIGH");
    assert.match(event.resources[0], new RegExp(`managed-instance/${nodes[0].instanceId}$`));
  });

  test("PARTIAL adds and replaces items by Id; COMPLETE replaces them all; summaries follow", async () => {
    const put = (
      Items: { Id: string; Severity: "CRITICAL" | "HIGH" | "LOW"; Status: "COMPLIANT" | "NON_COMPLIANT" }[],
      UploadType: "COMPLETE" | "PARTIAL",
      ResourceId = nodes[1].instanceId,
    ) =>
      ssm.send(
        new PutComplianceItemsCommand({
          ResourceId,
          ResourceType: "ManagedInstance",
          ComplianceType: "Custom:Hardening",
          ExecutionSummary: { ExecutionTime: new Date(), ExecutionId: "run-1", ExecutionType: "Command" },
          Items,
          UploadType,
        }),
      );
    await put([{ Id: "a", Severity: "CRITICAL", Status: "NON_COMPLIANT" }], "COMPLETE");
    await put([{ Id: "b", Severity: "LOW", Status: "COMPLIANT" }], "PARTIAL");
    let ids = (await ssm.send(new ListComplianceItemsCommand({ ResourceIds: [nodes[1].instanceId] }))).ComplianceItems?.map((i) => i.Id).sort();
    assert.deepEqual(ids, ["a", "b"]);
    let summary = (await ssm.send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: "ComplianceType", Values: ["Custom:Hardening"] }] })))
      .ResourceComplianceSummaryItems?.[0];
    assert.equal(summary?.Status, "NON_COMPLIANT");
    assert.equal(summary?.OverallSeverity, "CRITICAL");
    assert.equal(summary?.NonCompliantSummary?.NonCompliantCount, 1);
    assert.equal(summary?.CompliantSummary?.CompliantCount, 1);
    await put([{ Id: "a", Severity: "CRITICAL", Status: "COMPLIANT" }], "PARTIAL");
    await put([{ Id: "c", Severity: "HIGH", Status: "COMPLIANT" }], "COMPLETE");
    ids = (await ssm.send(new ListComplianceItemsCommand({ ResourceIds: [nodes[1].instanceId] }))).ComplianceItems?.map((i) => i.Id).sort();
    assert.deepEqual(ids, ["c"]);
    summary = (await ssm.send(new ListResourceComplianceSummariesCommand({ Filters: [{ Key: "ComplianceType", Values: ["Custom:Hardening"] }] })))
      .ResourceComplianceSummaryItems?.[0];
    assert.equal(summary?.Status, "COMPLIANT");
    await put([{ Id: "z", Severity: "HIGH", Status: "NON_COMPLIANT" }], "COMPLETE", nodes[0].instanceId);
    const all = await ssm.send(new ListComplianceSummariesCommand({ Filters: [{ Key: "ComplianceType", Values: ["Custom:Hardening"] }] }));
    const hardening = all.ComplianceSummaryItems?.[0];
    assert.equal(hardening?.CompliantSummary?.CompliantCount, 1);
    assert.equal(hardening?.NonCompliantSummary?.NonCompliantCount, 1);
    assert.equal(hardening?.NonCompliantSummary?.SeveritySummary?.HighCount, 1);
    const windows = await ssm.send(
      new ListResourceComplianceSummariesCommand({ Filters: [{ Key: "AWS:InstanceInformation.PlatformType", Values: ["Windows"] }] }),
    );
    assert.deepEqual(
      windows.ResourceComplianceSummaryItems?.map((i) => i.ResourceId),
      [nodes[1].instanceId],
    );
    const changes = events.filter((e) => e["detail-type"] === "Configuration Compliance State Change" && e.detail["resource-id"] === nodes[1].instanceId);
    await eventually(
      async () =>
        events.filter((e) => e.detail?.["resource-id"] === nodes[1].instanceId && e.detail["compliance-status"] === "COMPLIANT").length ? true : undefined,
      {
        what: "the change back to COMPLIANT",
      },
    );
    assert.ok(changes.length >= 1);
  });

  test("bad input: resource type, unknown node, a node for another, duplicate ids", async () => {
    const base = {
      ComplianceType: "Custom:Xray",
      ExecutionSummary: { ExecutionTime: new Date() },
      Items: [{ Id: "1", Severity: "LOW" as const, Status: "COMPLIANT" as const }],
    };
    const e1 = await ssm.send(new PutComplianceItemsCommand({ ...base, ResourceId: nodes[0].instanceId, ResourceType: "Document" })).catch((e) => e);
    assert.equal(e1.name, "InvalidResourceType", e1.message);
    const e2 = await ssm.send(new PutComplianceItemsCommand({ ...base, ResourceId: "mi-0123456789abcdef0", ResourceType: "ManagedInstance" })).catch((e) => e);
    assert.equal(e2.name, "InvalidResourceId");
    const e3 = await nodes[0].ssm("PutComplianceItems", {
      ...base,
      ExecutionSummary: { ExecutionTime: Date.now() / 1000 },
      ResourceId: nodes[1].instanceId,
      ResourceType: "ManagedInstance",
    });
    assert.equal(e3.body.__type, "AccessDeniedException");
    const e4 = await ssm
      .send(new PutComplianceItemsCommand({ ...base, Items: [base.Items[0], base.Items[0]], ResourceId: nodes[0].instanceId, ResourceType: "ManagedInstance" }))
      .catch((e) => e);
    assert.equal(e4.name, "InvalidItemContentException");
    const e5 = await ssm.send(new ListComplianceItemsCommand({ ResourceTypes: ["Document"] })).catch((e) => e);
    assert.equal(e5.name, "InvalidResourceType");
  });
  test("a large call (4,000 patch items) is parsed and checked on a body thread; its refusals keep AWS's names and fields", async () => {
    const node = nodes[0];
    const items = Array.from({ length: 4000 }, (_, i) => ({
      Id: `KB${String(5_000_000 + i)}`,
      Title: `Security update ${i} for the operating system`,
      Severity: i % 7 === 0 ? "CRITICAL" : "MEDIUM",
      Status: i % 5 === 0 ? "NON_COMPLIANT" : "COMPLIANT",
      Details: { Classification: "SecurityUpdates", PatchState: i % 5 === 0 ? "Missing" : "Installed" },
    }));
    const base = {
      ResourceId: node.instanceId,
      ResourceType: "ManagedInstance",
      ComplianceType: "Patch",
      ExecutionSummary: { ExecutionTime: Date.now() / 1000, ExecutionId: "scan-1", ExecutionType: "Command" },
      UploadType: "COMPLETE",
    };
    const put = await node.ssm("PutComplianceItems", { ...base, Items: items });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const listed = await ssm.send(
      new ListComplianceItemsCommand({
        ResourceIds: [node.instanceId],
        Filters: [
          { Key: "ComplianceType", Values: ["Patch"] },
          { Key: "Status", Values: ["NON_COMPLIANT"] },
        ],
        MaxResults: 50,
      }),
    );
    assert.equal(listed.ComplianceItems?.length, 50);
    const oversized = await node.ssm("PutComplianceItems", {
      ...base,
      Items: items.map((item, i) => (i === 3000 ? { ...item, Details: { ...item.Details, Note: "x".repeat(4000) } } : item)),
    });
    assert.equal(oversized.body.__type, "ItemSizeLimitExceededException");
    assert.equal(oversized.body.TypeName, "Patch");
    assert.match(oversized.body.message ?? oversized.body.Message, /KB5003000/);
    const duplicate = await node.ssm("PutComplianceItems", { ...base, Items: [...items, items[10]] });
    assert.equal(duplicate.body.__type, "InvalidItemContentException");
    const tooMuch = await node.ssm("PutComplianceItems", {
      ...base,
      Items: Array.from({ length: 400 }, (_, i) => ({ Id: `big-${i}`, Severity: "LOW", Status: "COMPLIANT", Details: { Text: "z".repeat(3000) } })),
    });
    assert.equal(tooMuch.body.__type, "TotalSizeLimitExceededException");
    const metrics = await (await fetch(new URL("/metrics", server.endpoint))).text();
    const jobs = (outcome: string) =>
      Number(new RegExp(`openssm_body_thread_jobs_total\\{operation="PutComplianceItems",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    assert.equal(
      jobs("prepared"),
      1,
      metrics
        .split("\n")
        .filter((l) => l.includes("body_thread"))
        .join("\n"),
    );
    assert.equal(jobs("refused"), 3);
  });
});

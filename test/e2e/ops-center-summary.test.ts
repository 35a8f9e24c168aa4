import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CreateOpsItemCommand, DescribeOpsItemsCommand, GetOpsSummaryCommand, type SSMClient, UpdateOpsItemCommand } from "@aws-sdk/client-ssm";
import { awsCli, defaultAccountId, startServer, type TestServer } from "../harness/index.js";
import { registerFakeNode } from "../harness/fake-node.js";

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error("expected an error");
};

const dedup = (s: string) => ({ "/aws/dedup": { Type: "SearchableString" as const, Value: JSON.stringify({ dedupString: s }) } });

describe("OpsCenter: GetOpsSummary, DescribeOpsItems in SQL, dedup under concurrency, limits", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let account: string;
  const create = async (input: Partial<ConstructorParameters<typeof CreateOpsItemCommand>[0]> = {}) =>
    (await ssm.send(new CreateOpsItemCommand({ Title: "t", Source: "summary-test", Description: "d", ...input }))).OpsItemId as string;

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
    account = await defaultAccountId(server);
  });
  after(async () => {
    await server?.destroy();
  });

  test("GetOpsSummary counts OpsItems by an attribute, nested, filtered, and sums; pages with NextToken", async () => {
    for (const [sev, cat, n] of [
      ["1", "Security", 2],
      ["2", "Security", 1],
      ["2", "Cost", 3],
    ] as const) {
      for (let i = 0; i < n; i++) await create({ Severity: sev, Category: cat, Priority: Number(sev) + 1, Source: "summary-test" });
    }
    const bySeverity = await ssm.send(
      new GetOpsSummaryCommand({
        Filters: [{ Key: "AWS:OpsItem.Source", Values: ["summary-test"], Type: "Equal" }],
        Aggregators: [{ AggregatorType: "count", TypeName: "AWS:OpsItem", AttributeName: "Severity" }],
      }),
    );
    assert.deepEqual(
      bySeverity.Entities?.map((e) => [e.Id, e.Data?.["AWS:OpsItem"]?.Content]),
      [
        ["1", [{ Severity: "1", Count: "2" }]],
        ["2", [{ Severity: "2", Count: "4" }]],
      ],
    );
    const nested = await awsCli(server, [
      "ssm",
      "get-ops-summary",
      "--filters",
      "Key=AWS:OpsItem.Source,Values=summary-test,Type=Equal",
      "--aggregators",
      JSON.stringify([
        {
          AggregatorType: "count",
          TypeName: "AWS:OpsItem",
          AttributeName: "Category",
          Aggregators: [{ AggregatorType: "count", TypeName: "AWS:OpsItem", AttributeName: "Severity" }],
        },
      ]),
    ]);
    assert.equal(nested.code, 0, nested.stderr);
    assert.deepEqual(nested.json.Entities, [
      { Id: "Cost", Data: { "AWS:OpsItem": { Content: [{ Category: "Cost", Severity: "2", Count: "3" }] } } },
      {
        Id: "Security",
        Data: {
          "AWS:OpsItem": {
            Content: [
              { Category: "Security", Severity: "1", Count: "2" },
              { Category: "Security", Severity: "2", Count: "1" },
            ],
          },
        },
      },
    ]);
    const sum = await ssm.send(
      new GetOpsSummaryCommand({
        Filters: [
          { Key: "AWS:OpsItem.Source", Values: ["summary-test"] },
          { Key: "AWS:OpsItem.Priority", Values: ["2"], Type: "GreaterThan" },
        ],
        Aggregators: [{ AggregatorType: "sum", TypeName: "AWS:OpsItem", AttributeName: "Priority" }],
      }),
    );
    assert.deepEqual(sum.Entities?.[0].Data?.["AWS:OpsItem"]?.Content, [{ Sum: String(3 * 4) }]);
    // Entities themselves (no aggregator), paged.
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(
        new GetOpsSummaryCommand({
          Filters: [{ Key: "AWS:OpsItem.Source", Values: ["summary-test"] }],
          ResultAttributes: [{ TypeName: "AWS:OpsItem" }],
          MaxResults: 4,
          NextToken: token,
        }),
      );
      assert.ok((page.Entities ?? []).length <= 4);
      for (const e of page.Entities ?? []) {
        assert.equal(e.Data?.["AWS:OpsItem"]?.Content?.[0]?.OpsItemId, e.Id);
        seen.push(String(e.Id));
      }
      token = page.NextToken;
    } while (token);
    assert.equal(seen.length, 6);
    assert.equal(new Set(seen).size, 6);
  });
  test("GetOpsSummary over inventory: nodes counted by an application's name, filtered by another type", async () => {
    const nodes = [await registerFakeNode(server), await registerFakeNode(server)];
    const apps = [
      [
        { Name: "nginx", Version: "1.24" },
        { Name: "openssl", Version: "3.0.2" },
      ],
      [{ Name: "nginx", Version: "1.26" }],
    ];
    for (const [i, node] of nodes.entries()) {
      const put = await node.ssm("PutInventory", {
        InstanceId: node.instanceId,
        Items: [{ TypeName: "AWS:Application", SchemaVersion: "1.1", CaptureTime: "2026-12-01T10:00:00Z", Content: apps[i] }],
      });
      assert.equal(put.status, 200, JSON.stringify(put.body));
    }
    const r = await ssm.send(new GetOpsSummaryCommand({ Aggregators: [{ AggregatorType: "count", TypeName: "AWS:Application", AttributeName: "Name" }] }));
    assert.deepEqual(
      r.Entities?.map((e) => [e.Id, e.Data?.["AWS:Application"]?.Content]),
      [
        ["nginx", [{ Name: "nginx", Count: "2" }]],
        ["openssl", [{ Name: "openssl", Count: "1" }]],
      ],
    );
    const filtered = await ssm.send(
      new GetOpsSummaryCommand({
        Filters: [{ Key: "AWS:Application.Name", Values: ["openssl"] }],
        ResultAttributes: [{ TypeName: "AWS:Application" }],
      }),
    );
    assert.deepEqual(
      filtered.Entities?.map((e) => [e.Id, e.Data?.["AWS:Application"]?.Content?.map((c) => c.Name)]),
      [[nodes[0].instanceId, ["openssl"]]],
    );
    const badType = await errorOf(ssm.send(new GetOpsSummaryCommand({ ResultAttributes: [{ TypeName: "AWS:Nothing" }] })));
    assert.equal(badType.name, "InvalidTypeNameException");
    const badAgg = await errorOf(
      ssm.send(new GetOpsSummaryCommand({ Aggregators: [{ AggregatorType: "range", TypeName: "AWS:OpsItem", AttributeName: "Priority" }] })),
    );
    assert.equal(badAgg.name, "InvalidAggregatorException");
    const badFilter = await errorOf(
      ssm.send(new GetOpsSummaryCommand({ Filters: [{ Key: "Status", Values: ["Open"] }], ResultAttributes: [{ TypeName: "AWS:OpsItem" }] })),
    );
    assert.equal(badFilter.name, "InvalidFilter");
    const sync = await errorOf(ssm.send(new GetOpsSummaryCommand({ SyncName: "org-sync", ResultAttributes: [{ TypeName: "AWS:OpsItem" }] })));
    assert.equal(sync.name, "ResourceDataSyncNotFoundException");
    const token = await errorOf(ssm.send(new GetOpsSummaryCommand({ ResultAttributes: [{ TypeName: "AWS:OpsItem" }], NextToken: "forged" })));
    assert.equal(token.name, "InvalidNextToken");
  });
  test("twenty concurrent CreateOpsItem calls with one dedup string make one OpsItem", async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => create({ OperationalData: dedup("race-1") })));
    assert.equal(new Set(ids).size, 1, `ids: ${[...new Set(ids)].join(", ")}`);
    const listed = await ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: "OperationalDataValue", Operator: "Contains", Values: ["race-1"] }] }));
    assert.deepEqual(
      listed.OpsItemSummaries?.map((s) => s.OpsItemId),
      [ids[0]],
    );
    // Resolved, it frees the string; reopening it while a new one is open is refused with that item's id.
    await ssm.send(new UpdateOpsItemCommand({ OpsItemId: ids[0], Status: "Resolved" }));
    const second = await create({ OperationalData: dedup("race-1") });
    assert.notEqual(second, ids[0]);
    const reopen = await errorOf(ssm.send(new UpdateOpsItemCommand({ OpsItemId: ids[0], Status: "Open" })));
    assert.equal(reopen.name, "OpsItemAlreadyExistsException");
    assert.equal(reopen.OpsItemId, second);
  });
  test("DescribeOpsItems reads column filters in SQL with the same answers and stable pages", async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await create({ Source: "sql-filters", Priority: (i % 3) + 1, OpsItemType: "/aws/insight" }));
      await server.advanceClock(1);
    }
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const r = await ssm.send(
        new DescribeOpsItemsCommand({
          OpsItemFilters: [
            { Key: "Source", Operator: "Equal", Values: ["sql-filters"] },
            { Key: "OpsItemType", Operator: "Equal", Values: ["/aws/insight"] },
            { Key: "Priority", Operator: "LessThan", Values: ["3"] },
          ],
          MaxResults: 2,
          NextToken: token,
        }),
      );
      pages.push((r.OpsItemSummaries ?? []).map((s) => String(s.OpsItemId)));
      token = r.NextToken;
    } while (token);
    // Priorities 1,2,3,1,2: the four below 3, newest first.
    assert.deepEqual(pages.flat(), [ids[4], ids[3], ids[1], ids[0]]);
    assert.deepEqual(
      pages.map((p) => p.length),
      [2, 2],
    );
    const bad = await errorOf(
      ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: "CreatedTime", Operator: "GreaterThan", Values: ["yesterday"] }] })),
    );
    assert.equal(bad.name, "ValidationException");
  });
  test("OpsItem limits: more than 10 related OpsItems or 100 related resources answer OpsItemLimitExceededException", async () => {
    const related = await errorOf(create({ RelatedOpsItems: Array.from({ length: 11 }, (_, i) => ({ OpsItemId: `oi-${String(i).padStart(12, "0")}` })) }));
    assert.equal(related.name, "OpsItemLimitExceededException");
    assert.equal(related.Limit, 10);
    assert.equal(related.LimitType, "RelatedOpsItems");
    const resources = JSON.stringify(Array.from({ length: 101 }, (_, i) => ({ arn: `arn:aws:ec2:us-east-1:${account}:instance/i-${i}` })));
    const many = await errorOf(create({ OperationalData: { "/aws/resources": { Type: "SearchableString", Value: resources } } }));
    assert.equal(many.name, "OpsItemLimitExceededException");
    const id = await create();
    const update = await errorOf(
      ssm.send(new UpdateOpsItemCommand({ OpsItemId: id, OperationalData: { "/aws/resources": { Type: "SearchableString", Value: resources } } })),
    );
    assert.equal(update.name, "OpsItemLimitExceededException");
  });
});

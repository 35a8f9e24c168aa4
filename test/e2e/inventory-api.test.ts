import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  DeleteInventoryCommand,
  DescribeInventoryDeletionsCommand,
  GetInventoryCommand,
  type GetInventoryCommandInput,
  GetInventorySchemaCommand,
  ListInventoryEntriesCommand,
  PutInventoryCommand,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import { type FakeNode, registerFakeNode, signRequest } from "../harness/fake-node.js";
import { awsCli, runProcess, startServer, type TestServer } from "../harness/index.js";
import { repoRoot } from "../harness/paths.js";

const capture = "2024-05-01T10:00:00Z";
const apps = (list: [string, string][]) =>
  list.map(([Name, Version]) => ({ Name, Version, Publisher: "Debian", ApplicationType: "libs", Architecture: "x86_64" }));

describe("Inventory: PutInventory, GetInventory filters and aggregators, schemas, entries, deletion", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const nodes: FakeNode[] = [];

  const put = (node: FakeNode, items: Record<string, unknown>[]) => node.ssm("PutInventory", { InstanceId: node.instanceId, Items: items });

  before(async () => {
    server = await startServer();
    ssm = server.ssm();
    for (let i = 0; i < 3; i++) nodes.push(await registerFakeNode(server));
    const platforms = ["Ubuntu", "Ubuntu", "Amazon Linux"];
    for (const [i, n] of nodes.entries()) {
      const r = await n.ssm("UpdateInstanceInformation", {
        InstanceId: n.instanceId,
        AgentName: "amazon-ssm-agent",
        AgentVersion: "3.3.0.0",
        AgentStatus: "Active",
        PlatformType: "Linux",
        PlatformName: platforms[i],
        PlatformVersion: i === 2 ? "2023" : "22.04",
        ComputerName: `host-${i}`,
        IPAddress: `10.0.0.${i + 1}`,
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    const versions = ["1.1.1f", "3.0.2", "3.0.13"];
    for (const [i, n] of nodes.entries()) {
      const r = await put(n, [
        {
          TypeName: "AWS:Application",
          SchemaVersion: "1.1",
          CaptureTime: capture,
          Content: apps([["openssl", versions[i]], ["curl", "7.81.0"], ...(i === 0 ? ([["nginx", "1.18.0"]] as [string, string][]) : [])]),
        },
      ]);
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
  });
  after(async () => {
    await server?.destroy();
  });

  test("GetInventory filters: Equal, BeginWith, LessThan on the same entry, NotEqual, across types", async () => {
    const ids = async (Filters: { Key: string; Values: string[]; Type?: "Equal" | "NotEqual" | "BeginWith" | "LessThan" | "GreaterThan" }[]) =>
      ((await ssm.send(new GetInventoryCommand({ Filters: Filters.length ? Filters : undefined }))).Entities ?? []).map((e) => e.Id).sort();
    const all = nodes.map((n) => n.instanceId).sort();
    assert.deepEqual(await ids([{ Key: "AWS:Application.Name", Values: ["nginx"], Type: "Equal" }]), [nodes[0].instanceId]);
    assert.deepEqual(await ids([{ Key: "AWS:Application.Name", Values: ["ngi"], Type: "BeginWith" }]), [nodes[0].instanceId]);
    // "which nodes have openssl below 3.0.5": the version compare is by numbers, on the same entry
    assert.deepEqual(
      await ids([
        { Key: "AWS:Application.Name", Values: ["openssl"] },
        { Key: "AWS:Application.Version", Values: ["3.0.5"], Type: "LessThan" },
      ]),
      [nodes[0].instanceId, nodes[1].instanceId].sort(),
    );
    assert.deepEqual(
      await ids([
        { Key: "AWS:Application.Name", Values: ["openssl"] },
        { Key: "AWS:Application.Version", Values: ["3.0.5"], Type: "GreaterThan" },
      ]),
      [nodes[2].instanceId],
    );
    assert.deepEqual(await ids([{ Key: "AWS:InstanceInformation.PlatformName", Values: ["Ubuntu"] }]).then((x) => x.length), 2);
    assert.deepEqual(
      await ids([
        { Key: "AWS:InstanceInformation.PlatformName", Values: ["Amazon Linux"], Type: "NotEqual" },
        { Key: "AWS:Application.Name", Values: ["openssl"] },
      ]),
      [nodes[0].instanceId, nodes[1].instanceId].sort(),
    );
    assert.deepEqual(await ids([]), all);
    const withApps = await ssm.send(
      new GetInventoryCommand({ Filters: [{ Key: "AWS:Application.Name", Values: ["nginx"] }], ResultAttributes: [{ TypeName: "AWS:Application" }] }),
    );
    const data = withApps.Entities?.[0].Data?.["AWS:Application"];
    assert.equal(data?.Content?.length, 3);
    assert.equal(data?.SchemaVersion, "1.1");
    const info = (await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "AWS:InstanceInformation.InstanceId", Values: [nodes[2].instanceId] }] })))
      .Entities?.[0];
    const content = info?.Data?.["AWS:InstanceInformation"]?.Content?.[0];
    assert.equal(content?.PlatformName, "Amazon Linux");
    assert.equal(content?.ComputerName, "host-2");
    assert.equal(content?.IpAddress, "10.0.0.3");
    assert.equal(content?.AgentType, "amazon-ssm-agent");
  });

  test("GetInventory aggregators: by platform through the aws CLI, nested, and groups", async () => {
    const r = await awsCli(server, ["ssm", "get-inventory", "--aggregators", '[{"Expression":"AWS:InstanceInformation.PlatformName"}]']);
    assert.equal(r.code, 0, r.stderr);
    const rows = r.json.Entities[0].Data["AWS:InstanceInformation"].Content;
    assert.deepEqual(rows, [
      { PlatformName: "Amazon Linux", Count: "1" },
      { PlatformName: "Ubuntu", Count: "2" },
    ]);
    const nested = await ssm.send(
      new GetInventoryCommand({
        Filters: [{ Key: "AWS:Application.Name", Values: ["openssl"] }],
        Aggregators: [{ Expression: "AWS:Application.Name", Aggregators: [{ Expression: "AWS:Application.Version" }] }],
      }),
    );
    const app = nested.Entities?.[0].Data?.["AWS:Application"]?.Content ?? [];
    assert.deepEqual(
      app.filter((c) => c.Name === "openssl"),
      [
        { Name: "openssl", Version: "1.1.1f", Count: "1" },
        { Name: "openssl", Version: "3.0.13", Count: "1" },
        { Name: "openssl", Version: "3.0.2", Count: "1" },
      ],
    );
    const groups = await ssm.send(
      new GetInventoryCommand({
        Aggregators: [
          {
            Expression: "AWS:Application.Name",
            Groups: [
              { Name: "HasNginx", Filters: [{ Key: "AWS:Application.Name", Values: ["nginx"], Type: "Equal" }] },
              { Name: "HasCurl", Filters: [{ Key: "AWS:Application.Name", Values: ["curl"], Type: "Equal" }] },
            ],
          },
        ],
      }),
    );
    assert.deepEqual(groups.Entities?.[0].Data?.["AWS:Application"]?.Content, [
      { Name: "HasNginx", Count: "1" },
      { Name: "HasCurl", Count: "3" },
    ]);
  });

  test("openssm inventory query: nodes with a package below a version, and counts by platform, as tables", async () => {
    const env = {
      AWS_ACCESS_KEY_ID: server.admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.admin.secretAccessKey,
      AWS_REGION: server.region,
      PATH: process.env.PATH ?? "",
    };
    const cli = (args: string[]) =>
      runProcess(process.execPath, [`${repoRoot}/packages/cli/bin/openssm.js`, "inventory", "query", "--endpoint-url", server.endpoint, ...args], env);
    const below = await cli(["--package", "openssl", "--below", "3.0.5"]);
    assert.equal(below.code, 0, below.stderr);
    const lines = below.stdout.trim().split("\n");
    assert.match(lines[0], /^NODE\s+COMPUTER\s+PLATFORM\s+VERSION$/);
    assert.equal(lines.length, 3, below.stdout);
    assert.ok(
      lines.some((l) => l.startsWith(nodes[0].instanceId) && l.includes("host-0") && l.endsWith("1.1.1f")),
      below.stdout,
    );
    const atLeast = await cli(["--package", "openssl", "--at-least", "3.0.13"]);
    assert.deepEqual(
      atLeast.stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
      [nodes[2].instanceId],
    );
    const counts = await cli([]);
    assert.equal(counts.code, 0, counts.stderr);
    assert.match(counts.stdout, /^PLATFORMNAME\s+NODES\n/);
    assert.match(counts.stdout, /Ubuntu\s+2\n/);
  });

  test("bad queries name what is wrong", async () => {
    const err = async (input: GetInventoryCommandInput) => {
      try {
        await ssm.send(new GetInventoryCommand(input));
      } catch (e) {
        return e as Error;
      }
      assert.fail("expected an error");
    };
    const a = await err({ Filters: [{ Key: "AWS:Application.Colour", Values: ["x"] }] });
    assert.equal(a.name, "InvalidFilter");
    assert.match(a.message, /Colour/);
    assert.equal((await err({ Filters: [{ Key: "AWS:Nope.Name", Values: ["x"] }] })).name, "InvalidTypeNameException");
    assert.equal((await err({ Aggregators: [{ Expression: "AWS:Application.Colour" }] })).name, "InvalidAggregatorException");
    assert.equal((await err({ ResultAttributes: [{ TypeName: "Custom:Missing" }] })).name, "InvalidResultAttributeException");
    assert.equal((await err({ Filters: [{ Key: "AWS:Application.Name", Values: ["x"], Type: "Exists" }] })).name, "InvalidFilter");
  });

  test("PutInventory: unchanged content by hash, mismatched hash, bad types, sizes, a node only for itself", async () => {
    const n = nodes[1];
    const content = apps([["htop", "3.0.5"]]);
    const first = await put(n, [{ TypeName: "AWS:Application", SchemaVersion: "1.1", CaptureTime: capture, ContentHash: "h-1", Content: content }]);
    assert.equal(first.status, 200);
    // hash only, as the agent sends unchanged data: accepted, the entries stay
    const same = await put(n, [{ TypeName: "AWS:Application", SchemaVersion: "1.1", CaptureTime: "2024-05-02T10:00:00Z", ContentHash: "h-1" }]);
    assert.equal(same.status, 200, JSON.stringify(same.body));
    const listed = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: n.instanceId, TypeName: "AWS:Application" }));
    assert.deepEqual(
      listed.Entries?.map((e) => e.Name),
      ["htop"],
    );
    assert.equal(listed.CaptureTime, "2024-05-02T10:00:00Z");
    const mismatch = await put(n, [{ TypeName: "AWS:Application", SchemaVersion: "1.1", CaptureTime: capture, ContentHash: "other" }]);
    assert.equal(mismatch.body.__type, "ItemContentMismatchException");
    // what the server prepares itself cannot be sent: a forged Prepared is dropped
    const forged = { text: "not json", hash: "h-forged", bytes: 1, entries: 99, attributes: [], keys: "" };
    const withForged = await put(n, [{ TypeName: "Custom:Forged", SchemaVersion: "1.0", CaptureTime: capture, Prepared: forged }]);
    assert.equal(withForged.body.__type, "InvalidItemContentException");
    const realWins = await put(n, [{ TypeName: "Custom:Forged", SchemaVersion: "1.0", CaptureTime: capture, Content: [{ Name: "real" }], Prepared: forged }]);
    assert.equal(realWins.status, 200, JSON.stringify(realWins.body));
    const forgedEntries = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: n.instanceId, TypeName: "Custom:Forged" }));
    assert.deepEqual(forgedEntries.Entries, [{ Name: "real" }]);
    const badType = await put(n, [{ TypeName: "AWS:Colours", SchemaVersion: "1.0", CaptureTime: capture, Content: [] }]);
    assert.equal(badType.body.__type, "InvalidTypeNameException");
    const badAttr = await put(n, [{ TypeName: "AWS:Application", SchemaVersion: "1.1", CaptureTime: capture, Content: [{ Name: "x", Colour: "red" }] }]);
    assert.equal(badAttr.body.__type, "InvalidItemContentException");
    const big = Array.from({ length: 3400 }, (_, i) => ({ Name: `pkg-${i}-${"x".repeat(300)}`, Version: "1" }));
    const tooBig = await put(n, [{ TypeName: "Custom:Big", SchemaVersion: "1.0", CaptureTime: capture, Content: big }]);
    assert.equal(tooBig.body.__type, "ItemSizeLimitExceededException");
    // nothing of the refused calls was stored
    const after = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: n.instanceId, TypeName: "AWS:Application" }));
    assert.deepEqual(
      after.Entries?.map((e) => e.Name),
      ["htop"],
    );
    const other = await nodes[0].ssm("PutInventory", {
      InstanceId: n.instanceId,
      Items: [{ TypeName: "Custom:X", SchemaVersion: "1.0", CaptureTime: capture, Content: [] }],
    });
    assert.equal(other.body.__type, "AccessDeniedException");
    const unknown = await ssm
      .send(
        new PutInventoryCommand({
          InstanceId: "mi-0123456789abcdef0",
          Items: [{ TypeName: "Custom:X", SchemaVersion: "1.0", CaptureTime: capture, Content: [] }],
        }),
      )
      .catch((e) => e);
    assert.equal(unknown.name, "InvalidInstanceId");
    // restore the node's applications for the other tests
    await put(n, [
      {
        TypeName: "AWS:Application",
        SchemaVersion: "1.1",
        CaptureTime: capture,
        Content: apps([
          ["openssl", "3.0.2"],
          ["curl", "7.81.0"],
        ]),
      },
    ]);
  });

  test("PutInventory of a large body (parsed and prepared on a body thread): stored as sent, refused as a small one would be", async () => {
    const n = await registerFakeNode(server);
    // 1,500 applications, some with quotes, backslashes and non-ASCII text: about 250 KB of JSON.
    const many = Array.from({ length: 1500 }, (_, i) => ({
      Name: `bulk-${String(i).padStart(4, "0")}`,
      Version: `1.${i}.0`,
      Publisher: i % 3 === 0 ? 'Ünïcode "quoted" \\ publisher' : "Debian",
      ApplicationType: "libs",
      Architecture: "x86_64",
      Summary: `package number ${i} ${"x".repeat(80)}`,
    }));
    const body = { InstanceId: n.instanceId, Items: [{ TypeName: "AWS:Application", SchemaVersion: "1.1", CaptureTime: capture, Content: many }] };
    assert.ok(JSON.stringify(body).length > 128 * 1024);
    const stored = await n.ssm("PutInventory", body);
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    const entries: Record<string, string>[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: n.instanceId, TypeName: "AWS:Application", MaxResults: 50, NextToken }));
      entries.push(...(page.Entries ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.equal(entries.length, 1500);
    assert.deepEqual(
      entries.find((e) => e.Name === "bulk-0999"),
      many[999],
    );
    assert.equal(entries.find((e) => e.Name === "bulk-0003")?.Publisher, 'Ünïcode "quoted" \\ publisher');
    // the key attribute's values were indexed: a filter on one of them finds the node
    const found = await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "AWS:Application.Name", Values: ["bulk-1499"], Type: "Equal" }] }));
    assert.deepEqual(
      found.Entities?.map((e) => e.Id),
      [n.instanceId],
    );
    // the same content again is recognised by its hash; refusals are those of a small body
    const again = await n.ssm("PutInventory", { ...body, Items: [{ ...body.Items[0], CaptureTime: "2024-05-03T10:00:00Z" }] });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const unknownAttr = await n.ssm("PutInventory", {
      ...body,
      Items: [{ ...body.Items[0], Content: many.map((e, i) => (i === 1200 ? { ...e, Colour: "red" } : e)) }],
    });
    assert.equal(unknownAttr.body.__type, "InvalidItemContentException");
    assert.match(unknownAttr.body.message ?? unknownAttr.body.Message, /no attribute Colour/);
    const tooLong = await n.ssm("PutInventory", {
      ...body,
      Items: [{ ...body.Items[0], Content: many.map((e, i) => (i === 700 ? { ...e, Summary: "y".repeat(5000) } : e)) }],
    });
    assert.equal(tooLong.body.__type, "ValidationException", JSON.stringify(tooLong.body).slice(0, 300));
    const wrongType = await n.ssm("PutInventory", { ...body, InstanceId: 42 });
    assert.equal(wrongType.body.__type, "SerializationException");
    // a large body altered after signing is refused (the body thread's hash serves SigV4)
    const text = JSON.stringify(body);
    const headers = signRequest(
      {
        method: "POST",
        url: new URL("/", server.endpoint),
        body: text,
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.PutInventory" },
      },
      n.creds,
      "us-east-1",
      "ssm",
    );
    const altered = await fetch(new URL("/", server.endpoint), { method: "POST", headers, body: text.replace("bulk-0001", "bulk-000X") });
    assert.equal(altered.status, 400);
    assert.equal(((await altered.json()) as { __type: string }).__type, "InvalidSignatureException");
    // a large body from a caller whose key is unknown is refused before any thread reads it
    const threadJobs = async () =>
      [...(await (await fetch(new URL("/metrics", server.endpoint))).text()).matchAll(/openssm_body_thread_jobs_total\{[^}]*\} (\d+)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    const jobsBefore = await threadJobs();
    const stranger = await fetch(new URL("/", server.endpoint), {
      method: "POST",
      headers: signRequest(
        {
          method: "POST",
          url: new URL("/", server.endpoint),
          body: text,
          headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.PutInventory" },
        },
        { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "not-a-secret" },
        "us-east-1",
        "ssm",
      ),
      body: text,
    });
    assert.equal(((await stranger.json()) as { __type: string }).__type, "UnrecognizedClientException");
    assert.equal(await threadJobs(), jobsBefore);
    const listed = await ssm.send(new ListInventoryEntriesCommand({ InstanceId: n.instanceId, TypeName: "AWS:Application", MaxResults: 2 }));
    assert.deepEqual(
      listed.Entries?.map((e) => e.Name),
      ["bulk-0000", "bulk-0001"],
    );
    // those bodies went through a body thread, not the event loop
    const metrics = await (await fetch(new URL("/metrics", server.endpoint))).text();
    const jobs = (outcome: string) =>
      Number(new RegExp(`openssm_body_thread_jobs_total\\{operation="PutInventory",outcome="${outcome}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    assert.ok(
      jobs("prepared") >= 4,
      metrics
        .split("\n")
        .filter((l) => l.includes("body_thread"))
        .join("\n"),
    );
    assert.ok(jobs("refused") >= 2);
    assert.equal(jobs("failed"), 0);
  });

  test("Custom: types: schema from the data, entries with filters, DeleteInventory with DryRun and deletions", async () => {
    const r = await ssm.send(
      new PutInventoryCommand({
        InstanceId: nodes[0].instanceId,
        Items: [
          {
            TypeName: "Custom:RackInfo",
            SchemaVersion: "1.0",
            CaptureTime: capture,
            Content: [{ RackLocation: "Bay B/Row C/Rack D/Shelf E", Name: "rack-1" }],
          },
        ],
      }),
    );
    assert.match(String(r.Message), /stored/);
    const schema = await ssm.send(new GetInventorySchemaCommand({ TypeName: "Custom:RackInfo" }));
    assert.deepEqual(schema.Schemas?.[0].Attributes?.map((a) => a.Name).sort(), ["Name", "RackLocation"]);
    const all = await ssm.send(new GetInventorySchemaCommand({}));
    assert.ok(all.Schemas?.some((s) => s.TypeName === "AWS:Network"));
    const agg = await ssm.send(new GetInventorySchemaCommand({ Aggregator: true }));
    assert.ok(agg.Schemas?.find((s) => s.TypeName === "AWS:InstanceInformation")?.Attributes?.some((a) => a.Name === "PlatformName"));
    const found = await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "Custom:RackInfo.RackLocation", Values: ["Bay B"], Type: "BeginWith" }] }));
    assert.deepEqual(
      found.Entities?.map((e) => e.Id),
      [nodes[0].instanceId],
    );
    const entries = await ssm.send(
      new ListInventoryEntriesCommand({
        InstanceId: nodes[0].instanceId,
        TypeName: "Custom:RackInfo",
        Filters: [{ Key: "Name", Values: ["rack-1"], Type: "Equal" }],
      }),
    );
    assert.equal(entries.Entries?.length, 1);
    const dry = await ssm.send(new DeleteInventoryCommand({ TypeName: "Custom:RackInfo", DryRun: true }));
    assert.equal(dry.DeletionSummary?.TotalCount, 1);
    assert.equal(dry.DeletionSummary?.RemainingCount, 1);
    assert.equal((await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "Custom:RackInfo.Name", Values: ["rack-1"] }] }))).Entities?.length, 1);
    const refused = await ssm.send(new DeleteInventoryCommand({ TypeName: "AWS:Application", SchemaDeleteOption: "DeleteSchema" })).catch((e) => e);
    assert.equal(refused.name, "InvalidTypeNameException");
    const del = await ssm.send(new DeleteInventoryCommand({ TypeName: "Custom:RackInfo", SchemaDeleteOption: "DisableSchema" }));
    assert.equal(del.DeletionSummary?.RemainingCount, 0);
    const deletions = await ssm.send(new DescribeInventoryDeletionsCommand({ DeletionId: del.DeletionId }));
    assert.equal(deletions.InventoryDeletions?.[0].LastStatus, "Complete");
    assert.equal(deletions.InventoryDeletions?.[0].TypeName, "Custom:RackInfo");
    assert.equal((await ssm.send(new GetInventoryCommand({ Filters: [{ Key: "Custom:RackInfo.Name", Values: ["rack-1"] }] }))).Entities?.length ?? 0, 0);
    const disabled = await ssm
      .send(
        new PutInventoryCommand({
          InstanceId: nodes[0].instanceId,
          Items: [{ TypeName: "Custom:RackInfo", SchemaVersion: "1.0", CaptureTime: capture, Content: [{ Name: "r" }] }],
        }),
      )
      .catch((e) => e);
    assert.equal(disabled.name, "UnsupportedInventorySchemaVersionException");
    await ssm.send(
      new PutInventoryCommand({
        InstanceId: nodes[0].instanceId,
        Items: [{ TypeName: "Custom:RackInfo", SchemaVersion: "1.1", CaptureTime: capture, Content: [{ Name: "r" }] }],
      }),
    );
  });
});

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AddTagsToResourceCommand,
  AssociateOpsItemRelatedItemCommand,
  CreateOpsItemCommand,
  DeleteOpsItemCommand,
  DescribeOpsItemsCommand,
  DisassociateOpsItemRelatedItemCommand,
  GetOpsItemCommand,
  ListOpsItemEventsCommand,
  ListOpsItemRelatedItemsCommand,
  type OpsItemFilter,
  type SSMClient,
  UpdateOpsItemCommand,
} from "@aws-sdk/client-ssm";
import { awsCli, createUser, defaultAccountId, eventually, type ReceivedEvent, startServer, type TestServer, webhookReceiver } from "../harness/index.js";

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error("expected an error");
};

const dedup = (s: string) => ({ "/aws/dedup": { Type: "SearchableString" as const, Value: JSON.stringify({ dedupString: s }) } });

describe("OpsCenter: OpsItems through the API", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let hook: Awaited<ReturnType<typeof webhookReceiver<ReceivedEvent>>>;
  let account: string;
  const create = async (input: Partial<ConstructorParameters<typeof CreateOpsItemCommand>[0]> = {}) =>
    (await ssm.send(new CreateOpsItemCommand({ Title: "t", Source: "test", Description: "d", ...input }))).OpsItemId as string;
  const describeIds = async (filters: OpsItemFilter[]) =>
    ((await ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: filters, MaxResults: 50 }))).OpsItemSummaries ?? []).map((s) => s.OpsItemId);

  before(async () => {
    hook = await webhookReceiver<ReceivedEvent>();
    server = await startServer({ testClock: true, args: ["--webhook", hook.url] });
    ssm = server.ssm();
    account = await defaultAccountId(server);
  });
  after(async () => {
    await server?.destroy();
    await hook?.close();
  });

  test("the issue's create-ops-item works with the aws CLI; GetOpsItem shows what was given", async () => {
    const c = await awsCli(server, [
      "ssm",
      "create-ops-item",
      "--title",
      "Disk full on db-3",
      "--source",
      "openssm",
      "--description",
      "The data volume of db-3 is 100% full.",
      "--severity",
      "2",
      "--priority",
      "1",
      "--category",
      "Availability",
      "--operational-data",
      '{"Environment":{"Value":"prod","Type":"SearchableString"}}',
      "--notifications",
      "Arn=arn:aws:sns:us-east-1:123456789012:ops",
      "--tags",
      "Key=team,Value=db",
    ]);
    assert.equal(c.code, 0, c.stderr);
    const created = JSON.parse(c.stdout) as { OpsItemId: string; OpsItemArn: string };
    assert.match(created.OpsItemId, /^oi-[0-9a-f]{12}$/);
    assert.equal(created.OpsItemArn, `arn:aws:ssm:${server.region}:${account}:opsitem/${created.OpsItemId}`);
    const { OpsItem: item } = await ssm.send(new GetOpsItemCommand({ OpsItemId: created.OpsItemId }));
    assert.ok(item);
    assert.equal(item.OpsItemType, "/aws/issue");
    assert.equal(item.Status, "Open");
    assert.equal(item.Title, "Disk full on db-3");
    assert.equal(item.Source, "openssm");
    assert.equal(item.Severity, "2");
    assert.equal(item.Priority, 1);
    assert.equal(item.Category, "Availability");
    assert.equal(item.Version, "1");
    assert.deepEqual(item.OperationalData, { Environment: { Value: "prod", Type: "SearchableString" } });
    assert.deepEqual(item.Notifications, [{ Arn: "arn:aws:sns:us-east-1:123456789012:ops" }]);
    assert.match(String(item.CreatedBy), /^arn:aws:iam::/);
    await eventually(() => hook.events.some((e) => e["detail-type"] === "OpsItem Create" && e.detail.opsItemId === created.OpsItemId), {
      what: "an OpsItem Create event on the webhook",
    });
    const e = hook.events.find((x) => x["detail-type"] === "OpsItem Create" && x.detail.opsItemId === created.OpsItemId);
    assert.equal(e?.source, "aws.ssm");
    assert.deepEqual(e?.resources, [created.OpsItemArn]);
    assert.equal(e?.detail.status, "Open");
  });

  test("a dedup string returns the open OpsItem that carries it; once resolved, a new one opens", async () => {
    const first = await create({ Title: "Run Command failed", OperationalData: dedup("cmd-failed-web") });
    const again = await create({ Title: "Run Command failed again", OperationalData: dedup("cmd-failed-web") });
    assert.equal(again, first);
    const { OpsItem } = await ssm.send(new GetOpsItemCommand({ OpsItemId: first }));
    assert.equal(OpsItem?.Title, "Run Command failed", "the duplicate changed nothing");
    const other = await create({ OperationalData: dedup("something-else") });
    assert.notEqual(other, first);
    // Moving another item onto an open item's dedup string is refused, naming the holder.
    const clash = await errorOf(ssm.send(new UpdateOpsItemCommand({ OpsItemId: other, OperationalData: dedup("cmd-failed-web") })));
    assert.equal(clash.name, "OpsItemAlreadyExistsException");
    assert.equal(clash.OpsItemId, first);
    await ssm.send(new UpdateOpsItemCommand({ OpsItemId: first, Status: "Resolved" }));
    const fresh = await create({ OperationalData: dedup("cmd-failed-web") });
    assert.notEqual(fresh, first);
    const bad = await errorOf(create({ OperationalData: { "/aws/dedup": { Value: "not json" } } }));
    assert.equal(bad.name, "OpsItemInvalidParameterException");
  });

  test("UpdateOpsItem: fields, status, operational data merged and deleted, the version counts; bad input refused", async () => {
    const id = await create({
      OperationalData: { a: { Value: "1", Type: "SearchableString" }, b: { Value: "2", Type: "String" } },
    });
    await server.advanceClock(60);
    await ssm.send(
      new UpdateOpsItemCommand({
        OpsItemId: id,
        Status: "InProgress",
        Title: "renamed",
        Priority: 3,
        OperationalData: { c: { Value: "3", Type: "String" } },
        OperationalDataToDelete: ["a"],
      }),
    );
    const { OpsItem: item } = await ssm.send(new GetOpsItemCommand({ OpsItemId: id }));
    assert.equal(item?.Status, "InProgress");
    assert.equal(item?.Title, "renamed");
    assert.equal(item?.Priority, 3);
    assert.equal(item?.Version, "2");
    assert.deepEqual(item?.OperationalData, { b: { Value: "2", Type: "String" }, c: { Value: "3", Type: "String" } });
    assert.ok((item?.LastModifiedTime?.getTime() ?? 0) - (item?.CreatedTime?.getTime() ?? 0) >= 60_000);

    const status = await errorOf(ssm.send(new UpdateOpsItemCommand({ OpsItemId: id, Status: "Approved" })));
    assert.equal(status.name, "OpsItemInvalidParameterException");
    assert.deepEqual(status.ParameterNames, ["Status"]);
    const reserved = await errorOf(ssm.send(new UpdateOpsItemCommand({ OpsItemId: id, OperationalData: { "aws:mine": { Value: "x" } } })));
    assert.equal(reserved.name, "OpsItemInvalidParameterException");
    const big = await errorOf(create({ OperationalData: { big: { Value: "x".repeat(21 * 1024) } } }));
    assert.equal(big.name, "OpsItemInvalidParameterException");
    const missing = await errorOf(ssm.send(new UpdateOpsItemCommand({ OpsItemId: "oi-000000000000", Title: "x" })));
    assert.equal(missing.name, "OpsItemNotFoundException");
    const type = await errorOf(create({ OpsItemType: "/aws/nope" }));
    assert.equal(type.name, "OpsItemInvalidParameterException");
    const { OpsItem: unchanged } = await ssm.send(new GetOpsItemCommand({ OpsItemId: id }));
    assert.equal(unchanged?.Version, "2", "refused updates changed nothing");
    await eventually(() => hook.events.some((e) => e["detail-type"] === "OpsItem Update" && e.detail.opsItemId === id && e.detail.version === "2"), {
      what: "an OpsItem Update event",
    });
  });

  test("DescribeOpsItems: each filter key and operator narrows the list; pages are stable", async () => {
    const tag = `f${Date.now()}`;
    const src = `src-${tag}`;
    const low = await create({ Title: `${tag} low`, Source: src, Severity: "4", Priority: 5, Category: "Cost" });
    await server.advanceClock(120);
    const mark = new Date((await ssm.send(new GetOpsItemCommand({ OpsItemId: low }))).OpsItem?.CreatedTime?.getTime() ?? 0);
    const high = await create({
      Title: `${tag} HIGH disk`,
      Source: src,
      Severity: "1",
      Priority: 1,
      OperationalData: { Env: { Value: "prod", Type: "SearchableString" }, Secret: { Value: "hidden", Type: "String" } },
    });
    await server.advanceClock(1);
    const mid = await create({ Title: `${tag} mid`, Source: src, Severity: "2", Priority: 3, OpsItemType: "/aws/insight" });
    await ssm.send(new UpdateOpsItemCommand({ OpsItemId: mid, Status: "InProgress" }));
    const bySource: OpsItemFilter = { Key: "Source", Operator: "Equal", Values: [src] };

    assert.deepEqual(await describeIds([bySource]), [mid, high, low], "newest first");
    assert.deepEqual(await describeIds([bySource, { Key: "OpsItemId", Operator: "Equal", Values: [high] }]), [high]);
    assert.deepEqual(await describeIds([bySource, { Key: "Status", Operator: "Equal", Values: ["InProgress"] }]), [mid]);
    assert.deepEqual(await describeIds([bySource, { Key: "Title", Operator: "Contains", Values: ["high"] }]), [high]);
    assert.deepEqual(await describeIds([{ Key: "Title", Operator: "Equal", Values: [`${tag} mid`] }]), [mid]);
    assert.deepEqual(await describeIds([bySource, { Key: "Severity", Operator: "Equal", Values: ["1", "4"] }]), [high, low]);
    assert.deepEqual(await describeIds([bySource, { Key: "Priority", Operator: "GreaterThan", Values: ["2"] }]), [mid, low]);
    assert.deepEqual(await describeIds([bySource, { Key: "Priority", Operator: "LessThan", Values: ["2"] }]), [high]);
    assert.deepEqual(await describeIds([bySource, { Key: "Category", Operator: "Equal", Values: ["Cost"] }]), [low]);
    assert.deepEqual(await describeIds([bySource, { Key: "OpsItemType", Operator: "Equal", Values: ["/aws/insight"] }]), [mid]);
    assert.deepEqual(await describeIds([bySource, { Key: "CreatedTime", Operator: "GreaterThan", Values: [mark.toISOString()] }]), [mid, high]);
    assert.deepEqual(await describeIds([bySource, { Key: "CreatedTime", Operator: "LessThan", Values: [new Date(mark.getTime() + 1).toISOString()] }]), [low]);
    assert.deepEqual(await describeIds([bySource, { Key: "LastModifiedTime", Operator: "GreaterThan", Values: [mark.toISOString()] }]), [mid, high]);
    // Operational data: only SearchableString entries are searchable.
    assert.deepEqual(await describeIds([bySource, { Key: "OperationalData", Operator: "Equal", Values: ['{"key":"Env","value":"prod"}'] }]), [high]);
    assert.deepEqual(await describeIds([bySource, { Key: "OperationalData", Operator: "Equal", Values: ['{"key":"Secret","value":"hidden"}'] }]), []);
    assert.deepEqual(await describeIds([bySource, { Key: "OperationalDataKey", Operator: "Equal", Values: ["Env"] }]), [high]);
    assert.deepEqual(await describeIds([bySource, { Key: "OperationalDataValue", Operator: "Contains", Values: ["pro"] }]), [high]);

    const wrongOp = await errorOf(ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: [{ Key: "Status", Operator: "GreaterThan", Values: ["Open"] }] })));
    assert.equal(wrongOp.name, "ValidationException");

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(new DescribeOpsItemsCommand({ OpsItemFilters: [bySource], MaxResults: 1, NextToken: token }));
      assert.ok((page.OpsItemSummaries ?? []).length <= 1);
      seen.push(...(page.OpsItemSummaries ?? []).map((s) => String(s.OpsItemId)));
      token = page.NextToken;
    } while (token);
    assert.deepEqual(seen, [mid, high, low]);
  });

  test("ListOpsItemEvents: the creation and each update, newest first, filtered by OpsItemId", async () => {
    const id = await create({ Title: "timeline" });
    await server.advanceClock(1);
    await ssm.send(new UpdateOpsItemCommand({ OpsItemId: id, Status: "InProgress" }));
    await server.advanceClock(1);
    await ssm.send(new UpdateOpsItemCommand({ OpsItemId: id, Severity: "3" }));
    const { Summaries } = await ssm.send(new ListOpsItemEventsCommand({ Filters: [{ Key: "OpsItemId", Operator: "Equal", Values: [id] }] }));
    assert.deepEqual(
      (Summaries ?? []).map((s) => s.DetailType),
      ["OpsItem Update", "OpsItem Update", "OpsItem Create"],
    );
    assert.ok((Summaries ?? []).every((s) => s.OpsItemId === id && s.Source === "aws.ssm" && s.CreatedBy?.Arn));
    assert.deepEqual(JSON.parse(String(Summaries?.[0].Detail)).changedFields, ["Severity"]);
    const page = await ssm.send(new ListOpsItemEventsCommand({ Filters: [{ Key: "OpsItemId", Operator: "Equal", Values: [id] }], MaxResults: 2 }));
    assert.equal(page.Summaries?.length, 2);
    const rest = await ssm.send(
      new ListOpsItemEventsCommand({ Filters: [{ Key: "OpsItemId", Operator: "Equal", Values: [id] }], MaxResults: 2, NextToken: page.NextToken }),
    );
    assert.deepEqual(
      rest.Summaries?.map((s) => s.DetailType),
      ["OpsItem Create"],
    );
  });

  test("related items: associate, list, refuse a duplicate, disassociate", async () => {
    const id = await create({ Title: "related" });
    const uri = `arn:aws:ssm:${server.region}:${account}:document/RunbookA`;
    const { AssociationId } = await ssm.send(
      new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: "RelatesTo", ResourceType: "AWS::SSM::Document", ResourceUri: uri }),
    );
    assert.ok(AssociationId);
    const dup = await errorOf(
      ssm.send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: "RelatesTo", ResourceType: "AWS::SSM::Document", ResourceUri: uri })),
    );
    assert.equal(dup.name, "OpsItemRelatedItemAlreadyExistsException");
    const badType = await errorOf(
      ssm.send(new AssociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationType: "RelatesTo", ResourceType: "AWS::EC2::Nope", ResourceUri: uri })),
    );
    assert.equal(badType.name, "OpsItemInvalidParameterException");
    const noItem = await errorOf(
      ssm.send(
        new AssociateOpsItemRelatedItemCommand({
          OpsItemId: "oi-000000000000",
          AssociationType: "RelatesTo",
          ResourceType: "AWS::SSM::Document",
          ResourceUri: uri,
        }),
      ),
    );
    assert.equal(noItem.name, "OpsItemNotFoundException");
    const listed = await ssm.send(new ListOpsItemRelatedItemsCommand({ OpsItemId: id }));
    assert.deepEqual(
      listed.Summaries?.map((s) => [s.AssociationId, s.AssociationType, s.ResourceType, s.ResourceUri]),
      [[AssociationId, "RelatesTo", "AWS::SSM::Document", uri]],
    );
    const filtered = await ssm.send(
      new ListOpsItemRelatedItemsCommand({
        OpsItemId: id,
        Filters: [{ Key: "ResourceType", Operator: "Equal", Values: ["AWS::SSMIncidents::IncidentRecord"] }],
      }),
    );
    assert.deepEqual(filtered.Summaries, []);
    await ssm.send(new DisassociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationId }));
    const gone = await errorOf(ssm.send(new DisassociateOpsItemRelatedItemCommand({ OpsItemId: id, AssociationId })));
    assert.equal(gone.name, "OpsItemRelatedItemAssociationNotFoundException");
    assert.deepEqual((await ssm.send(new ListOpsItemRelatedItemsCommand({ OpsItemId: id }))).Summaries, []);
    const events = await ssm.send(new ListOpsItemEventsCommand({ Filters: [{ Key: "OpsItemId", Operator: "Equal", Values: [id] }] }));
    assert.deepEqual(
      events.Summaries?.map((s) => s.DetailType),
      ["OpsItem Related Item Disassociated", "OpsItem Related Item Associated", "OpsItem Create"],
    );
  });

  test("DeleteOpsItem removes the item, its timeline and related items; deleting again succeeds", async () => {
    const id = await create({ Title: "to delete" });
    await ssm.send(new DeleteOpsItemCommand({ OpsItemId: id }));
    const e = await errorOf(ssm.send(new GetOpsItemCommand({ OpsItemId: id })));
    assert.equal(e.name, "OpsItemNotFoundException");
    await ssm.send(new DeleteOpsItemCommand({ OpsItemId: id }));
    const events = await ssm.send(new ListOpsItemEventsCommand({ Filters: [{ Key: "OpsItemId", Operator: "Equal", Values: [id] }] }));
    assert.deepEqual(events.Summaries, []);
  });

  test("authorization is on the OpsItem ARN and its tags", async () => {
    const mine = await create({ Title: "team a", Tags: [{ Key: "team", Value: "a" }] });
    const theirs = await create({ Title: "team b" });
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: "OpsItem", ResourceId: theirs, Tags: [{ Key: "team", Value: "b" }] }));
    const user = await createUser(server, `ops-reader-${Date.now()}`, [
      {
        Version: "2012-10-17",
        Statement: [
          { Effect: "Allow", Action: ["ssm:GetOpsItem", "ssm:UpdateOpsItem"], Resource: "*", Condition: { StringEquals: { "aws:ResourceTag/team": "a" } } },
          { Effect: "Allow", Action: "ssm:DescribeOpsItems", Resource: "*" },
        ],
      },
    ]);
    const as = server.ssm(user);
    assert.equal((await as.send(new GetOpsItemCommand({ OpsItemId: mine }))).OpsItem?.Title, "team a");
    assert.equal((await errorOf(as.send(new GetOpsItemCommand({ OpsItemId: theirs })))).name, "AccessDeniedException");
    assert.equal((await errorOf(as.send(new UpdateOpsItemCommand({ OpsItemId: theirs, Title: "x" })))).name, "AccessDeniedException");
    assert.equal((await errorOf(as.send(new DeleteOpsItemCommand({ OpsItemId: mine })))).name, "AccessDeniedException");
    assert.equal((await errorOf(as.send(new CreateOpsItemCommand({ Title: "t", Source: "s", Description: "d" })))).name, "AccessDeniedException");
    await as.send(new DescribeOpsItemsCommand({}));
  });
});

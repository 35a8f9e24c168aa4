import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  AddTagsToResourceCommand,
  CreateOpsItemCommand,
  CreateOpsMetadataCommand,
  DeleteOpsMetadataCommand,
  GetOpsMetadataCommand,
  ListOpsMetadataCommand,
  ListTagsForResourceCommand,
  type SSMClient,
  UpdateOpsMetadataCommand,
} from "@aws-sdk/client-ssm";
import { awsCli, createUser, defaultAccountId, startServer, type TestServer } from "../harness/index.js";

const errorOf = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error("expected an error");
};

describe("OpsCenter: OpsMetadata and tagging", () => {
  let server: TestServer;
  let ssm: SSMClient;
  let account: string;
  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
    account = await defaultAccountId(server);
  });
  after(async () => server?.destroy());

  test("create, get (paged), update, list and delete an OpsMetadata object", async () => {
    const group = `arn:aws:resource-groups:${server.region}:${account}:group/WebFleet`;
    const c = await awsCli(server, [
      "ssm",
      "create-ops-metadata",
      "--resource-id",
      group,
      "--metadata",
      '{"owner":{"Value":"team-web"},"tier":{"Value":"gold"}}',
    ]);
    assert.equal(c.code, 0, c.stderr);
    const arn = (JSON.parse(c.stdout) as { OpsMetadataArn: string }).OpsMetadataArn;
    assert.equal(arn, `arn:aws:ssm:${server.region}:${account}:opsmetadata/aws/ssm/WebFleet/appmanager`);
    const got = await ssm.send(new GetOpsMetadataCommand({ OpsMetadataArn: arn }));
    assert.equal(got.ResourceId, group);
    assert.deepEqual(got.Metadata, { owner: { Value: "team-web" }, tier: { Value: "gold" } });
    const first = await ssm.send(new GetOpsMetadataCommand({ OpsMetadataArn: arn, MaxResults: 1 }));
    assert.deepEqual(Object.keys(first.Metadata ?? {}), ["owner"]);
    const second = await ssm.send(new GetOpsMetadataCommand({ OpsMetadataArn: arn, MaxResults: 1, NextToken: first.NextToken }));
    assert.deepEqual(Object.keys(second.Metadata ?? {}), ["tier"]);
    assert.equal(second.NextToken, undefined);

    const dup = await errorOf(ssm.send(new CreateOpsMetadataCommand({ ResourceId: group })));
    assert.equal(dup.name, "OpsMetadataAlreadyExistsException");

    await ssm.send(
      new UpdateOpsMetadataCommand({
        OpsMetadataArn: arn,
        MetadataToUpdate: { tier: { Value: "silver" }, oncall: { Value: "pager" } },
        KeysToDelete: ["owner"],
      }),
    );
    assert.deepEqual((await ssm.send(new GetOpsMetadataCommand({ OpsMetadataArn: arn }))).Metadata, { oncall: { Value: "pager" }, tier: { Value: "silver" } });
    const absent = await errorOf(ssm.send(new UpdateOpsMetadataCommand({ OpsMetadataArn: arn, KeysToDelete: ["nope"] })));
    assert.equal(absent.name, "OpsMetadataInvalidArgumentException");

    const other = await ssm.send(new CreateOpsMetadataCommand({ ResourceId: "my-app/settings", Tags: [{ Key: "env", Value: "prod" }] }));
    assert.equal(other.OpsMetadataArn, `arn:aws:ssm:${server.region}:${account}:opsmetadata/my-app/settings`);
    const list = await ssm.send(new ListOpsMetadataCommand({}));
    assert.deepEqual(
      list.OpsMetadataList?.map((m) => [m.OpsMetadataArn, m.ResourceId]),
      [
        [arn, group],
        [other.OpsMetadataArn, "my-app/settings"],
      ],
    );
    const paged = await ssm.send(new ListOpsMetadataCommand({ MaxResults: 1 }));
    assert.equal(paged.OpsMetadataList?.length, 1);
    assert.ok(paged.NextToken);
    const filtered = await ssm.send(new ListOpsMetadataCommand({ Filters: [{ Key: "ResourceId", Values: ["my-app/settings"] }] }));
    assert.deepEqual(
      filtered.OpsMetadataList?.map((m) => m.ResourceId),
      ["my-app/settings"],
    );
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: "OpsMetadata", ResourceId: "my-app/settings" }));
    assert.deepEqual(tags.TagList, [{ Key: "env", Value: "prod" }]);

    await ssm.send(new DeleteOpsMetadataCommand({ OpsMetadataArn: arn }));
    const gone = await errorOf(ssm.send(new GetOpsMetadataCommand({ OpsMetadataArn: arn })));
    assert.equal(gone.name, "OpsMetadataNotFoundException");
    const again = await errorOf(ssm.send(new DeleteOpsMetadataCommand({ OpsMetadataArn: arn })));
    assert.equal(again.name, "OpsMetadataNotFoundException");
    const foreign = await errorOf(ssm.send(new GetOpsMetadataCommand({ OpsMetadataArn: `arn:aws:ssm:${server.region}:999999999999:opsmetadata/x` })));
    assert.equal(foreign.name, "OpsMetadataInvalidArgumentException");
  });

  test("authorization on the OpsMetadata ARN; OpsItems take tags through AddTagsToResource", async () => {
    const { OpsMetadataArn: arn } = await ssm.send(new CreateOpsMetadataCommand({ ResourceId: "auth/app", Metadata: { k: { Value: "v" } } }));
    const user = await createUser(server, `meta-reader-${Date.now()}`, [
      { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetOpsMetadata", Resource: "arn:aws:ssm:*:*:opsmetadata/auth/*" }] },
    ]);
    const as = server.ssm(user);
    assert.deepEqual((await as.send(new GetOpsMetadataCommand({ OpsMetadataArn: arn }))).Metadata, { k: { Value: "v" } });
    assert.equal((await errorOf(as.send(new UpdateOpsMetadataCommand({ OpsMetadataArn: arn, KeysToDelete: ["k"] })))).name, "AccessDeniedException");
    assert.equal((await errorOf(as.send(new CreateOpsMetadataCommand({ ResourceId: "auth/other" })))).name, "AccessDeniedException");

    const { OpsItemId } = await ssm.send(new CreateOpsItemCommand({ Title: "t", Source: "s", Description: "d" }));
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: "OpsItem", ResourceId: OpsItemId, Tags: [{ Key: "a", Value: "1" }] }));
    const tags = await ssm.send(new ListTagsForResourceCommand({ ResourceType: "OpsItem", ResourceId: String(OpsItemId) }));
    assert.deepEqual(tags.TagList, [{ Key: "a", Value: "1" }]);
    const missing = await errorOf(
      ssm.send(new AddTagsToResourceCommand({ ResourceType: "OpsItem", ResourceId: "oi-000000000000", Tags: [{ Key: "a", Value: "1" }] })),
    );
    assert.equal(missing.name, "InvalidResourceId");
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AddTagsToResourceCommand,
  CreateActivationCommand,
  DescribeInstanceInformationCommand,
  DescribeInstancePropertiesCommand,
  type DescribeInstancePropertiesCommandInput,
  type DescribeInstanceInformationCommandInput,
  ListNodesCommand,
  ListNodesSummaryCommand,
  ListTagsForResourceCommand,
  SSMClient,
} from "@aws-sdk/client-ssm";
import { awsCli, startServer, type TestServer } from "../harness/index.js";
import { NodeIdentity, sendAgentOperation } from "../harness/node-identity.js";

describe("nodes: instance information, filters, ping status and the unified node views", () => {
  let server: TestServer;
  const nodes: { id: string; client: SSMClient; identity: NodeIdentity }[] = [];
  let prodActivation = "";
  const ids = () => nodes.map((n) => n.id);

  async function register(activationId: string, code: string, info: Record<string, unknown>) {
    const identity = new NodeIdentity(server.endpoint);
    const id = await identity.registerOrThrow(activationId, code);
    const creds = await identity.credentials();
    const client = new SSMClient({ endpoint: server.endpoint, region: server.region, credentials: creds, maxAttempts: 1 });
    await sendAgentOperation(client, "UpdateInstanceInformation", { InstanceId: id, AgentName: "amazon-ssm-agent", AgentStatus: "Active", ...info });
    nodes.push({ id, client, identity });
    return id;
  }

  before(async () => {
    server = await startServer({ testClock: true });
    const ssm = server.ssm();
    const prod = await ssm.send(
      new CreateActivationCommand({
        IamRole: "ProdRole",
        RegistrationLimit: 2,
        Tags: [
          { Key: "Environment", Value: "Prod" },
          { Key: "Team", Value: "web" },
        ],
      }),
    );
    const dev = await ssm.send(new CreateActivationCommand({ IamRole: "DevRole", RegistrationLimit: 1, Tags: [{ Key: "Environment", Value: "Dev" }] }));
    prodActivation = prod.ActivationId as string;
    await register(prodActivation, prod.ActivationCode as string, {
      AgentVersion: "3.3.987.0",
      PlatformType: "Linux",
      PlatformName: "Ubuntu",
      PlatformVersion: "22.04",
      ComputerName: "web-1",
      IPAddress: "10.0.0.1",
    });
    await register(prodActivation, prod.ActivationCode as string, {
      AgentVersion: "3.2.0.0",
      PlatformType: "Linux",
      PlatformName: "Debian GNU/Linux",
      PlatformVersion: "12",
      ComputerName: "web-2",
      IPAddress: "10.0.0.2",
    });
    await register(dev.ActivationId as string, dev.ActivationCode as string, {
      AgentVersion: "3.3.987.0",
      PlatformType: "Windows",
      PlatformName: "Windows Server 2022",
      PlatformVersion: "10.0.20348",
      ComputerName: "WIN-1",
      IPAddress: "10.0.1.1",
    });
  });
  after(async () => server?.destroy());

  const describeIds = async (input: DescribeInstanceInformationCommandInput, client = server.ssm()) =>
    ((await client.send(new DescribeInstanceInformationCommand(input))).InstanceInformationList ?? []).map((i) => i.InstanceId as string).sort();

  it("copies the activation's tags to the nodes it registers, and tags ManagedInstance resources", async () => {
    const tags = await server.ssm().send(new ListTagsForResourceCommand({ ResourceType: "ManagedInstance", ResourceId: nodes[0].id }));
    assert.deepEqual(tags.TagList, [
      { Key: "Environment", Value: "Prod" },
      { Key: "Team", Value: "web" },
    ]);
    await server
      .ssm()
      .send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: nodes[2].id, Tags: [{ Key: "Patch", Value: "Group1" }] }));
    await assert.rejects(
      server
        .ssm()
        .send(new AddTagsToResourceCommand({ ResourceType: "ManagedInstance", ResourceId: "mi-0123456789abcdef0", Tags: [{ Key: "a", Value: "b" }] })),
      { name: "InvalidResourceId" },
    );
  });

  it("filters DescribeInstanceInformation by tags, platform, version, activation, role and ids", async () => {
    const [web1, web2, win] = ids();
    assert.deepEqual(await describeIds({}), [web1, web2, win].sort());
    assert.deepEqual(await describeIds({ Filters: [{ Key: "tag:Environment", Values: ["Prod"] }] }), [web1, web2].sort());
    assert.deepEqual(
      await describeIds({
        Filters: [
          { Key: "tag:Environment", Values: ["Prod", "Dev"] },
          { Key: "tag-key", Values: ["Patch"] },
        ],
      }),
      [win],
    );
    assert.deepEqual(await describeIds({ Filters: [{ Key: "tag-key", Values: ["Team"] }] }), [web1, web2].sort());
    assert.deepEqual(await describeIds({ Filters: [{ Key: "PlatformTypes", Values: ["Windows"] }] }), [win]);
    assert.deepEqual(await describeIds({ Filters: [{ Key: "AgentVersion", Values: ["3.2.0.0"] }] }), [web2]);
    assert.deepEqual(
      await describeIds({
        Filters: [
          { Key: "ActivationIds", Values: [prodActivation] },
          { Key: "PlatformTypes", Values: ["Linux"] },
        ],
      }),
      [web1, web2].sort(),
    );
    assert.deepEqual(await describeIds({ Filters: [{ Key: "IamRole", Values: ["DevRole"] }] }), [win]);
    assert.deepEqual(await describeIds({ Filters: [{ Key: "ResourceType", Values: ["EC2Instance"] }] }), []);
    assert.deepEqual(await describeIds({ InstanceInformationFilterList: [{ key: "InstanceIds", valueSet: [web1, win] }] }), [web1, win].sort());
    assert.deepEqual(await describeIds({ InstanceInformationFilterList: [{ key: "PlatformTypes", valueSet: ["Linux"] }] }), [web1, web2].sort());

    const all = (await server.ssm().send(new DescribeInstanceInformationCommand({}))).InstanceInformationList ?? [];
    assert.equal(all.find((i) => i.InstanceId === web2)?.IsLatestVersion, false, "3.2.0.0 is older than 3.3.987.0 run by another node");
    assert.equal(all.find((i) => i.InstanceId === web1)?.IsLatestVersion, true);

    await assert.rejects(server.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "Nope", Values: ["x"] }] })), {
      name: "InvalidFilterKey",
    });
    await assert.rejects(server.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "PingStatus", Values: ["Sleeping"] }] })), {
      name: "InvalidInstanceInformationFilterValue",
    });
    await assert.rejects(
      server.ssm().send(
        new DescribeInstanceInformationCommand({
          Filters: [{ Key: "PingStatus", Values: ["Online"] }],
          InstanceInformationFilterList: [{ key: "PingStatus", valueSet: ["Online"] }],
        }),
      ),
      { name: "InvalidInstanceInformationFilterValue" },
    );
    await assert.rejects(server.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: ["mi-0123456789abcdef0"] }] })), {
      name: "InvalidInstanceId",
    });
  });

  it("pages with MaxResults and NextToken, also through the aws CLI", async () => {
    const first = await server.ssm().send(new DescribeInstanceInformationCommand({ MaxResults: 5 }));
    assert.equal(first.InstanceInformationList?.length, 3);
    assert.equal(first.NextToken, undefined);
    const cli = await awsCli(server, ["ssm", "describe-instance-information", "--filters", "Key=tag:Environment,Values=Prod"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json.InstanceInformationList.length, 2);
    assert.equal(cli.json.InstanceInformationList[0].ResourceType, "ManagedInstance");
  });

  it("lists nodes and summarizes them for the unified console", async () => {
    const [web1, , win] = ids();
    const listed = await server.ssm().send(new ListNodesCommand({}));
    assert.equal(listed.Nodes?.length, 3);
    const n = listed.Nodes?.find((x) => x.Id === win);
    assert.equal(n?.NodeType?.Instance?.PlatformType, "Windows");
    assert.equal(n?.NodeType?.Instance?.ComputerName, "WIN-1");
    assert.equal(n?.NodeType?.Instance?.ManagedStatus, "Managed");
    assert.equal(n?.NodeType?.Instance?.ResourceType, "ManagedInstance");
    assert.equal(n?.Region, server.region);
    assert.match(n?.Owner?.AccountId ?? "", /^\d{12}$/);
    const linux = await server.ssm().send(new ListNodesCommand({ Filters: [{ Key: "PlatformType", Values: ["Linux"], Type: "Equal" }] }));
    assert.equal(linux.Nodes?.length, 2);
    const notWeb1 = await server.ssm().send(new ListNodesCommand({ Filters: [{ Key: "ComputerName", Values: ["web-1"], Type: "NotEqual" }] }));
    assert.ok(!notWeb1.Nodes?.some((x) => x.Id === web1));
    const begins = await server.ssm().send(new ListNodesCommand({ Filters: [{ Key: "PlatformName", Values: ["Deb", "Ubu"], Type: "BeginWith" }] }));
    assert.equal(begins.Nodes?.length, 2);
    const paged = await server.ssm().send(new ListNodesCommand({ MaxResults: 2 }));
    assert.equal(paged.Nodes?.length, 2);
    const rest = await server.ssm().send(new ListNodesCommand({ MaxResults: 2, NextToken: paged.NextToken }));
    assert.equal(rest.Nodes?.length, 1);
    await assert.rejects(server.ssm().send(new ListNodesCommand({ SyncName: "AWS-QuickSetup-ManagedNode" })), { name: "ResourceDataSyncNotFoundException" });

    const byPlatform = await server
      .ssm()
      .send(new ListNodesSummaryCommand({ Aggregators: [{ AggregatorType: "Count", TypeName: "Instance", AttributeName: "PlatformType" }] }));
    assert.deepEqual(byPlatform.Summary, [
      { PlatformType: "Linux", Count: "2" },
      { PlatformType: "Windows", Count: "1" },
    ]);
    const nested = await server.ssm().send(
      new ListNodesSummaryCommand({
        Aggregators: [
          {
            AggregatorType: "Count",
            TypeName: "Instance",
            AttributeName: "PlatformType",
            Aggregators: [{ AggregatorType: "Count", TypeName: "Instance", AttributeName: "AgentVersion" }],
          },
        ],
        Filters: [{ Key: "PlatformType", Values: ["Linux"] }],
      }),
    );
    assert.deepEqual(nested.Summary, [
      { PlatformType: "Linux", AgentVersion: "3.2.0.0", Count: "1" },
      { PlatformType: "Linux", AgentVersion: "3.3.987.0", Count: "1" },
    ]);
  });

  it("describes instance properties with operators", async () => {
    const [web1, web2, win] = ids();
    const props = async (input: DescribeInstancePropertiesCommandInput) =>
      ((await server.ssm().send(new DescribeInstancePropertiesCommand(input))).InstanceProperties ?? []).map((p) => p.InstanceId as string).sort();
    assert.deepEqual(await props({}), [web1, web2, win].sort());
    assert.deepEqual(await props({ FiltersWithOperator: [{ Key: "AgentVersion", Operator: "LessThan", Values: ["3.3.0.0"] }] }), [web2]);
    assert.deepEqual(await props({ FiltersWithOperator: [{ Key: "tag:Environment", Operator: "Equal", Values: ["Dev"] }] }), [win]);
    assert.deepEqual(await props({ FiltersWithOperator: [{ Key: "PlatformName", Operator: "BeginWith", Values: ["Deb"] }] }), [web2]);
    assert.deepEqual(await props({ InstancePropertyFilterList: [{ key: "PlatformTypes", valueSet: ["Linux"] }] }), [web1, web2].sort());
    const paged = await server.ssm().send(new DescribeInstancePropertiesCommand({ MaxResults: 5 }));
    assert.equal(paged.InstanceProperties?.[0].ResourceType, "ManagedInstance");
    await assert.rejects(
      server.ssm().send(new DescribeInstancePropertiesCommand({ InstancePropertyFilterList: [{ key: "DocumentName", valueSet: ["AWS-RunShellScript"] }] })),
      {
        name: "InvalidFilterKey",
      },
    );
  });

  it("derives PingStatus from the last contact as the clock moves", async () => {
    const [web1, web2, win] = ids();
    assert.deepEqual(await describeIds({ Filters: [{ Key: "PingStatus", Values: ["Online"] }] }), [web1, web2, win].sort());
    await server.advanceClock(7 * 60);
    await sendAgentOperation(nodes[0].client, "UpdateInstanceInformation", { InstanceId: web1, AgentVersion: "3.3.987.0" });
    assert.deepEqual(await describeIds({ Filters: [{ Key: "PingStatus", Values: ["Online"] }] }), [web1]);
    assert.deepEqual(await describeIds({ Filters: [{ Key: "PingStatus", Values: ["ConnectionLost"] }] }), [web2, win].sort());
    assert.deepEqual(await describeIds({ Filters: [{ Key: "PingStatus", Values: ["Inactive"] }] }), []);
    const lost = await server.ssm().send(new ListNodesCommand({ Filters: [{ Key: "ManagedStatus", Values: ["Unmanaged"] }] }));
    assert.deepEqual(lost.Nodes?.map((x) => x.Id).sort(), [web2, win].sort());
  });
});

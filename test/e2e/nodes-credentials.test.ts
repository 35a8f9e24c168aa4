import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateActivationCommand,
  DeleteActivationCommand,
  DeregisterManagedInstanceCommand,
  DescribeInstanceInformationCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
  UpdateManagedInstanceRoleCommand,
} from "@aws-sdk/client-ssm";
import { type Credentials, eventually, startServer, type TestServer } from "../harness/index.js";
import { NodeIdentity, sendAgentOperation } from "../harness/node-identity.js";

describe("nodes: registration and node credentials", () => {
  let server: TestServer;
  let activation: { id: string; code: string };
  before(async () => {
    server = await startServer({ testClock: true });
    const a = await server.ssm().send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: 20, DefaultInstanceName: "web" }));
    activation = { id: a.ActivationId as string, code: a.ActivationCode as string };
  });
  after(async () => server?.destroy());

  const nodeClient = (creds: Credentials) => new SSMClient({ endpoint: server.endpoint, region: server.region, credentials: creds, maxAttempts: 1 });
  const ping = (client: SSMClient, instanceId: string, extra: Record<string, unknown> = {}) =>
    sendAgentOperation(client, "UpdateInstanceInformation", {
      InstanceId: instanceId,
      AgentName: "amazon-ssm-agent",
      AgentStatus: "Active",
      AgentVersion: "3.3.987.0",
      ComputerName: "web-1.example",
      IPAddress: "10.0.0.5",
      PlatformName: "Debian GNU/Linux",
      PlatformType: "Linux",
      PlatformVersion: "12",
      SSMConnectionChannel: "ec2messages",
      ...extra,
    });

  async function registeredNode(): Promise<{ node: NodeIdentity; id: string }> {
    const node = new NodeIdentity(server.endpoint);
    const id = await node.registerOrThrow(activation.id, activation.code);
    return { node, id };
  }

  it("registers, gets RSA-signed temporary credentials and reports instance information with them", async () => {
    const { node, id } = await registeredNode();
    assert.match(id, /^mi-[0-9a-f]{17}$/);
    const creds = await node.credentials();
    assert.match(creds.accessKeyId, /^ASIA[A-Z0-9]{16}$/);
    assert.ok(creds.sessionToken.length > 40);
    assert.equal(creds.updateKeyPair, false);
    const lifetime = creds.expiresAt.getTime() - Date.now();
    assert.ok(lifetime > 55 * 60_000 && lifetime <= 60 * 60_000 + 5000, `credentials live one hour, got ${lifetime} ms`);

    const client = nodeClient(creds);
    await ping(client, id);
    const info = await server.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [id] }] }));
    const i = info.InstanceInformationList?.[0];
    assert.equal(i?.InstanceId, id);
    assert.equal(i?.PingStatus, "Online");
    assert.equal(i?.AgentVersion, "3.3.987.0");
    assert.equal(i?.PlatformType, "Linux");
    assert.equal(i?.PlatformName, "Debian GNU/Linux");
    assert.equal(i?.ComputerName, "web-1.example");
    assert.equal(i?.IPAddress, "10.0.0.5");
    assert.equal(i?.ResourceType, "ManagedInstance");
    assert.equal(i?.IamRole, "SSMServiceRole");
    assert.equal(i?.ActivationId, activation.id);
    assert.equal(i?.Name, "web");
    assert.equal(i?.IsLatestVersion, true);
    assert.ok(i?.RegistrationDate instanceof Date && i.LastPingDateTime instanceof Date);
  });

  it("limits a node's credentials to what AmazonSSMManagedInstanceCore allows, for itself only", async () => {
    const { node, id } = await registeredNode();
    const other = await registeredNode();
    const client = nodeClient(await node.credentials());
    await assert.rejects(client.send(new PutParameterCommand({ Name: "/x", Value: "y", Type: "String" })), { name: "AccessDeniedException" });
    await assert.rejects(client.send(new DeleteActivationCommand({ ActivationId: activation.id })), { name: "AccessDeniedException" });
    await assert.rejects(client.send(new DescribeInstanceInformationCommand({})), { name: "AccessDeniedException" });
    await assert.rejects(client.send(new DeregisterManagedInstanceCommand({ InstanceId: id })), { name: "AccessDeniedException" });
    await assert.rejects(ping(client, other.id), { name: "AccessDeniedException" }, "a node cannot report for another node");
    await ping(client, id);
    // GetParameter is allowed by the policy (the parameters capability answers for the parameter itself).
    await assert.rejects(client.send(new GetParameterCommand({ Name: "/missing" })), (e: Error) => e.name !== "AccessDeniedException");
    // The RSA key gets credentials and rotates itself, nothing else.
    const rsaOnly = await node.call("DescribeInstanceInformation", {}, "rsa");
    assert.equal(rsaOnly.error, "AccessDeniedException");
  });

  it("refuses a bad RSA signature, a wrong fingerprint and HMAC with an mi- credential", async () => {
    const { node } = await registeredNode();
    const wrongFingerprint = await node.requestToken("00000000-0000-4000-8000-000000000000");
    assert.equal(wrongFingerprint.error, "InvalidInstanceId");
    const impostor = new NodeIdentity(server.endpoint);
    impostor.instanceId = node.instanceId;
    const forged = await impostor.requestToken(node.fingerprint);
    assert.equal(forged.error, "InvalidSignatureException");
    const unknown = new NodeIdentity(server.endpoint);
    unknown.instanceId = "mi-0123456789abcdef0";
    assert.equal((await unknown.requestToken()).error, "InvalidInstanceId");
    const hmac = nodeClient({ accessKeyId: node.instanceId as string, secretAccessKey: "not-an-rsa-key" });
    await assert.rejects(hmac.send(new DescribeInstanceInformationCommand({})), { name: "InvalidSignatureException" });
  });

  it("rotates the key pair with UpdateManagedInstancePublicKey signed by the old key", async () => {
    const { node } = await registeredNode();
    const before = node.publicKey;
    const rotated = await node.rotateKey();
    assert.equal(rotated.error, undefined, JSON.stringify(rotated.body));
    assert.notEqual(node.publicKey, before);
    await node.credentials();
    const stale = new NodeIdentity(server.endpoint);
    stale.instanceId = node.instanceId;
    assert.equal((await stale.requestToken(node.fingerprint)).error, "InvalidSignatureException");
  });

  it("records a new IAM role, carried by the credentials issued after it", async () => {
    const { node, id } = await registeredNode();
    const first = nodeClient(await node.credentials());
    await server.ssm().send(new UpdateManagedInstanceRoleCommand({ InstanceId: id, IamRole: "NewRole" }));
    await assert.rejects(server.ssm().send(new UpdateManagedInstanceRoleCommand({ InstanceId: "mi-0123456789abcdef0", IamRole: "NewRole" })), {
      name: "InvalidInstanceId",
    });
    const second = nodeClient(await node.credentials());
    await ping(second, id);
    // The old role's keys went with its principal.
    await eventually(
      async () => {
        try {
          await ping(first, id);
          return false;
        } catch (e) {
          return (e as Error).name === "UnrecognizedClientException";
        }
      },
      { timeoutMs: 5000, what: "the old role's credentials to be refused" },
    );
    const info = await server.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "IamRole", Values: ["NewRole"] }] }));
    assert.deepEqual(
      info.InstanceInformationList?.map((x) => x.InstanceId),
      [id],
    );
  });

  it("deregistration ends the node at once: credentials, RSA key and listing", async () => {
    const { node, id } = await registeredNode();
    const client = nodeClient(await node.credentials());
    await ping(client, id);
    await server.ssm().send(new DeregisterManagedInstanceCommand({ InstanceId: id }));
    await eventually(
      async () => {
        try {
          await ping(client, id);
          return false;
        } catch (e) {
          return (e as Error).name === "UnrecognizedClientException";
        }
      },
      { timeoutMs: 5000, what: "the deregistered node's credentials to be refused" },
    );
    assert.equal((await node.requestToken()).error, "InvalidInstanceId");
    const all = await server.ssm().send(new DescribeInstanceInformationCommand({}));
    assert.ok(!all.InstanceInformationList?.some((x) => x.InstanceId === id), "deregistered nodes are not listed");
    await assert.rejects(server.ssm().send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [id] }] })), {
      name: "InvalidInstanceId",
    });
    await assert.rejects(server.ssm().send(new DeregisterManagedInstanceCommand({ InstanceId: id })), { name: "InvalidInstanceId" });
  });

  it("expires credentials after an hour; a refresh issues new ones and drops the expired", async () => {
    const { node, id } = await registeredNode();
    const old = await node.credentials();
    await server.advanceClock(61 * 60);
    await assert.rejects(ping(nodeClient(old), id), { name: "ExpiredTokenException" });
    const fresh = await node.credentials();
    await ping(nodeClient(fresh), id);
    await eventually(
      async () => {
        try {
          await ping(nodeClient(old), id);
          return false;
        } catch (e) {
          return (e as Error).name === "UnrecognizedClientException";
        }
      },
      { timeoutMs: 5000, what: "the expired key to be deleted" },
    );
  });
});

describe("nodes: the server asks for a new key pair after 30 days", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ testClock: true });
  });
  after(async () => server?.destroy());

  it("answers UpdateKeyPair once the key is 30 days old, and not after the rotation", async () => {
    const a = await server.ssm().send(new CreateActivationCommand({ IamRole: "SSMServiceRole", RegistrationLimit: 1 }));
    const node = new NodeIdentity(server.endpoint);
    await node.registerOrThrow(a.ActivationId as string, a.ActivationCode as string);
    assert.equal((await node.credentials()).updateKeyPair, false);
    await server.advanceClock(29 * 24 * 3600);
    assert.equal((await node.credentials()).updateKeyPair, false);
    await server.advanceClock(2 * 24 * 3600);
    assert.equal((await node.credentials()).updateKeyPair, true);
    const rotated = await node.rotateKey();
    assert.equal(rotated.error, undefined, JSON.stringify(rotated.body));
    assert.equal((await node.credentials()).updateKeyPair, false);
  });
});

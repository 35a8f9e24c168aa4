import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { after, before, describe, test } from "node:test";
import { DeregisterManagedInstanceCommand } from "@aws-sdk/client-ssm";
import { FakeNode, registerFakeNode, signRequest } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer } from "../harness/index.js";
import type { NodeCredentials } from "../harness/node-identity.js";

function post(server: TestServer, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, server.tlsEndpoint), { method: "POST", headers, ca: readFileSync(server.caFile) }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("agent channels: who may poll and open control channels", () => {
  let server: TestServer;
  let node: FakeNode;
  let other: FakeNode;

  before(async () => {
    server = await startServer({ args: ["--agent-poll-seconds", "1"] });
    node = await registerFakeNode(server);
    other = await registerFakeNode(server);
  });
  after(() => server?.destroy());

  test("the TLS listener serves the API too, with a certificate from the server's CA", async () => {
    assert.match(server.tlsEndpoint, /^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await new Promise<number>((resolve, reject) => {
      const req = request(new URL("/health", server.tlsEndpoint), { ca: readFileSync(server.caFile) }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(res, 200);
  });

  test("an empty GetMessages poll is held, then answers an empty list", async () => {
    const started = Date.now();
    const msgs = await node.getMessages();
    assert.deepEqual(msgs, []);
    assert.ok(Date.now() - started >= 900, "the poll was held about a second (--agent-poll-seconds 1)");
  });

  test("ec2messages refuses callers that are not the node", async () => {
    const asOther = await other.ec2messages("GetMessages", { Destination: node.instanceId, MessagesRequestId: "0123456789abcdef0123" });
    assert.equal(asOther.error, "AuthorizationFailureException");
    const admin = new FakeNode(server, node.instanceId, { ...server.admin } as NodeCredentials);
    const asAdmin = await admin.ec2messages("GetMessages", { Destination: node.instanceId, MessagesRequestId: "0123456789abcdef0123" });
    assert.equal(asAdmin.error, "AuthorizationFailureException");
    const bad = await node.ec2messages("SendReply", { MessageId: "not-a-message-id-at-all", ReplyId: "0123456789abcdef0123", Payload: "{}" });
    assert.equal(bad.error, "InvalidMessageIdException");
  });

  test("CreateControlChannel answers 201 and XML for the node, AccessDeniedException (403) for anyone else", async () => {
    const body = JSON.stringify({ MessageSchemaVersion: "1.0", RequestId: "0123456789abcdef0123" });
    const path = `/v1/control-channel/${node.instanceId}`;
    const url = new URL(path, server.tlsEndpoint);
    const own = await post(server, path, signRequest({ method: "POST", url, body }, node.creds, "us-east-1", "ssmmessages"), body);
    assert.equal(own.status, 201);
    assert.match(own.body, /^<CreateControlChannelResponse><MessageSchemaVersion>1\.0<\/MessageSchemaVersion><TokenValue>[^<]+<\/TokenValue>/);
    const foreign = await post(server, path, signRequest({ method: "POST", url, body }, other.creds, "us-east-1", "ssmmessages"), body);
    assert.equal(foreign.status, 403);
    assert.match(foreign.body, /^<AccessDeniedException><Message>/);
    const admin = await post(server, path, signRequest({ method: "POST", url, body }, server.admin, "us-east-1", "ssmmessages"), body);
    assert.equal(admin.status, 403);
    const unsigned = await post(server, path, {}, body);
    assert.equal(unsigned.status, 403);
  });

  test("a control channel opens over wss:// and closes when the node is deregistered", async () => {
    const channel = await node.openControlChannel();
    await server.ssm().send(new DeregisterManagedInstanceCommand({ InstanceId: node.instanceId }));
    await eventually(async () => channel.closed, { what: "the control channel to close" });
    assert.match(channel.closeReason, /deregistered/);
  });
});

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { GetCommandInvocationCommand, SendCommandCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentNode, startAgent, until } from "./sessions-helpers.js";

/** The node's RSA key as openssm-agent keeps it in its data dir. */
const keyOf = (node: AgentNode) => readFileSync(join(node.dataDir, "private-key.pem"), "utf8");

describe("openssm-agent: key rotation when the server asks for it", () => {
  let server: TestServer;
  let node: AgentNode;
  before(async () => {
    server = await startServer({ testClock: true });
    node = await startAgent(server);
  });
  after(async () => {
    await node?.stop();
    await server?.destroy();
  });

  it("keeps its key while it is young, replaces it once the server says it is 30 days old, and goes on working with the new one", async () => {
    const original = keyOf(node);
    await node.restart();
    assert.equal(keyOf(node), original, "a young key is kept");

    await server.advanceClock(31 * 24 * 3600);
    await node.restart();
    await until("the rotated key on disk", () => keyOf(node) !== original);
    assert.match(node.output(), /rotated the node's key pair/);

    // Only the new key gets credentials now: a restart (which signs with the key on disk) still connects,
    // and a command runs end to end.
    await node.restart();
    const sent = await server
      .ssm()
      .send(new SendCommandCommand({ DocumentName: "AWS-RunShellScript", InstanceIds: [node.instanceId], Parameters: { commands: ["echo rotated"] } }));
    const inv = await until("the command to succeed", async () => {
      const r = await server.ssm().send(new GetCommandInvocationCommand({ CommandId: String(sent.Command?.CommandId), InstanceId: node.instanceId }));
      return r.Status === "Success" ? r : undefined;
    });
    assert.equal(inv.StandardOutputContent, "rotated\n");
  });
});

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeSessionsCommand, GetConnectionStatusCommand, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer, testEngine } from "../harness/index.js";
import { type AgentNode, cliEnv, cliInPty, startAgent, stripAnsi, until, within, sessionIdOf } from "./sessions-helpers.js";

/**
 * Two replicas on one PostgreSQL database. The node keeps its control channel on the second; the
 * user calls the first. The session must still start, and its StreamUrl must lead to the replica
 * where the node's agent opens its data channel, so the relay has both ends.
 */
describe("sessions across replicas (PostgreSQL)", { skip: testEngine !== "postgres" && "several replicas need PostgreSQL" }, () => {
  let first: TestServer;
  let second: TestServer;
  let node: AgentNode;

  before(async () => {
    first = await startServer();
    second = await startServer({ databaseUrl: first.databaseUrl, masterKey: first.masterKey, admin: first.admin });
    // Both replicas serve certificates from the one CA stored in the database.
    node = await startAgent({ ...second, caFile: first.caFile } as TestServer);
  });
  after(async () => {
    await node?.stop();
    await second?.stop();
    await first?.destroy();
  });

  it("reports the node connected through either replica", async () => {
    for (const replica of [first, second]) {
      await until("connected", async () => (await replica.ssm().send(new GetConnectionStatusCommand({ Target: node.instanceId }))).Status === "connected");
    }
  });

  it("opens a shell through the replica that does not hold the node's channel", async () => {
    const run = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", first.caFile], cliEnv(first, first.admin));
    try {
      const sessionId = await sessionIdOf(run);
      run.pty.write("echo ACROSS-$((20+22))\r");
      await run.waitFor("ACROSS-42");
      run.pty.write("exit\r");
      assert.equal(await within(run.exited, "run to exit"), 0);
      await until("the session in history", async () => {
        const h = await first.ssm().send(new DescribeSessionsCommand({ State: "History" }));
        return h.Sessions?.some((s) => s.SessionId === sessionId && s.Status === "Terminated");
      });
    } finally {
      run.kill();
    }
  });

  it("points StreamUrl at the replica holding the node's channel", async () => {
    const started = await first.ssm().send(new StartSessionCommand({ Target: node.instanceId }));
    try {
      const url = new URL(String(started.StreamUrl));
      assert.equal(url.port, new URL(second.tlsEndpoint).port);
      assert.equal(url.protocol, "wss:");
    } finally {
      await first.ssm().send(new TerminateSessionCommand({ SessionId: started.SessionId }));
    }
  });

  it("ends a shell on the other replica when TerminateSession is called on this one", async () => {
    const run = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", first.caFile], cliEnv(first, first.admin));
    try {
      const sessionId = await sessionIdOf(run);
      run.pty.write("echo READY-$((1+1))\r");
      await run.waitFor("READY-2");
      await first.ssm().send(new TerminateSessionCommand({ SessionId: sessionId }));
      assert.equal(await within(run.exited, "run to exit"), 0);
      assert.match(stripAnsi(run.output()), new RegExp(`Exiting session with sessionId: ${sessionId}`));
    } finally {
      run.kill();
    }
  });
});

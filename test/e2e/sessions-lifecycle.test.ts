import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeSessionsCommand, GetConnectionStatusCommand, ResumeSessionCommand, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { createUser, startServer, type TestServer } from "../harness/index.js";
import { type AgentNode, cliEnv, cliInPty, startAgent, stripAnsi, until, within, sessionIdOf } from "./sessions-helpers.js";

/** Seed 001's Session Manager policy, on managed nodes: production nodes only, and one's own sessions. */
const productionOnly = {
  Version: "2012-10-17",
  Statement: [
    {
      Effect: "Allow",
      Action: ["ssm:StartSession"],
      Resource: ["arn:aws:ssm:*:*:managed-instance/*"],
      Condition: { StringLike: { "ssm:resourceTag/Environment": ["production"] } },
    },
    { Effect: "Allow", Action: ["ssm:StartSession"], Resource: ["arn:aws:ssm:*:*:document/SSM-SessionManagerRunShell"] },
    { Effect: "Allow", Action: ["ssm:TerminateSession", "ssm:ResumeSession"], Resource: ["arn:aws:ssm:*:*:session/${aws:username}-*"] },
    { Effect: "Allow", Action: ["ssm:DescribeSessions", "ssm:GetConnectionStatus"], Resource: "*" },
  ],
};

async function sessionStatus(server: TestServer, sessionId: string): Promise<string | undefined> {
  for (const State of ["Active", "History"] as const) {
    const r = await server.ssm().send(new DescribeSessionsCommand({ State, Filters: [{ key: "SessionId", value: sessionId }] }));
    if (r.Sessions?.[0]) return r.Sessions[0].Status;
  }
  return undefined;
}

describe("sessions: lifecycle, timeouts and authorization", () => {
  let server: TestServer;
  let production: AgentNode;
  let dev: AgentNode;
  before(async () => {
    server = await startServer({ testClock: true });
    production = await startAgent(server, [{ Key: "Environment", Value: "production" }]);
    dev = await startAgent(server, [{ Key: "Environment", Value: "dev" }]);
  });
  after(async () => {
    await production?.stop();
    await dev?.stop();
    await server?.destroy();
  });

  it("reports connection status and refuses a node that is not connected", async () => {
    const ssm = server.ssm();
    assert.equal((await ssm.send(new GetConnectionStatusCommand({ Target: production.instanceId }))).Status, "connected");
    assert.equal((await ssm.send(new GetConnectionStatusCommand({ Target: "mi-0123456789abcdef0" }))).Status, "notconnected");
    await assert.rejects(ssm.send(new StartSessionCommand({ Target: "mi-0123456789abcdef0" })), { name: "TargetNotConnected" });
  });

  it("allows StartSession only where the policy does, and TerminateSession only on one's own sessions", async () => {
    const alice = await createUser(server, "alice", [productionOnly]);
    const bob = await createUser(server, "bob", [productionOnly]);
    const asAlice = server.ssm(alice);
    await assert.rejects(asAlice.send(new StartSessionCommand({ Target: dev.instanceId })), (e: Error) => {
      assert.equal(e.name, "AccessDeniedException");
      assert.match(e.message, /ssm:StartSession/);
      return true;
    });
    await assert.rejects(asAlice.send(new StartSessionCommand({ Target: production.instanceId, DocumentName: "AWS-StartPortForwardingSession" })), {
      name: "AccessDeniedException",
    });
    const started = await asAlice.send(new StartSessionCommand({ Target: production.instanceId, Reason: "incident 42" }));
    assert.match(String(started.SessionId), /^alice-[0-9a-f]{17}$/);
    assert.match(String(started.StreamUrl), /^wss:\/\/.+\/v1\/data-channel\/alice-[0-9a-f]{17}\?role=publish_subscribe&cell-number=/);
    assert.ok(started.TokenValue);
    await assert.rejects(server.ssm(bob).send(new TerminateSessionCommand({ SessionId: started.SessionId })), { name: "AccessDeniedException" });
    await assert.rejects(server.ssm(bob).send(new ResumeSessionCommand({ SessionId: started.SessionId })), { name: "AccessDeniedException" });
    const resumed = await asAlice.send(new ResumeSessionCommand({ SessionId: started.SessionId }));
    assert.ok(resumed.TokenValue && resumed.TokenValue !== started.TokenValue);
    const own = await asAlice.send(new DescribeSessionsCommand({ State: "Active", Filters: [{ key: "Owner", value: alice.arn }] }));
    assert.equal(own.Sessions?.[0]?.Reason, "incident 42");
    assert.equal(own.Sessions?.[0]?.Target, production.instanceId);
    await asAlice.send(new TerminateSessionCommand({ SessionId: started.SessionId }));
    await until("alice's session terminated", async () => (await sessionStatus(server, String(started.SessionId))) === "Terminated");
    const ended = await asAlice.send(new ResumeSessionCommand({ SessionId: started.SessionId }));
    assert.equal(ended.TokenValue, undefined);
    await assert.rejects(asAlice.send(new ResumeSessionCommand({ SessionId: "alice-0123456789abcdef0" })), { name: "DoesNotExistException" });
  });

  it("ends a shell on TerminateSession", async () => {
    const run = await cliInPty(["session", "start", "--target", production.instanceId, "--ca-file", server.caFile], cliEnv(server, server.admin));
    try {
      const sessionId = await sessionIdOf(run);
      run.pty.write("echo READY-$((1+1))\r");
      await run.waitFor("READY-2");
      await server.ssm().send(new TerminateSessionCommand({ SessionId: sessionId }));
      assert.equal(await within(run.exited, "run to exit"), 0);
      assert.match(stripAnsi(run.output()), new RegExp(`Exiting session with sessionId: ${sessionId}`));
      await until("terminated", async () => (await sessionStatus(server, sessionId)) === "Terminated");
    } finally {
      run.kill();
    }
  });

  it("ends an idle shell after the idle timeout (moved clock)", async () => {
    const run = await cliInPty(["session", "start", "--target", production.instanceId, "--ca-file", server.caFile], cliEnv(server, server.admin));
    try {
      const sessionId = await sessionIdOf(run);
      run.pty.write("echo IDLE-$((2+2))\r");
      await run.waitFor("IDLE-4");
      await until("connected", async () => (await sessionStatus(server, sessionId)) === "Connected");
      await server.advanceClock(19 * 60);
      assert.equal(await sessionStatus(server, sessionId), "Connected");
      await server.advanceClock(2 * 60);
      assert.equal(await within(run.exited, "run to exit"), 0);
      assert.match(stripAnsi(run.output()), /Your session timed out due to inactivity and has been terminated\./);
      await until("terminated", async () => (await sessionStatus(server, sessionId)) === "Terminated");
      const history = await server.ssm().send(new DescribeSessionsCommand({ State: "History", Filters: [{ key: "Target", value: production.instanceId }] }));
      assert.ok(history.Sessions?.some((s) => s.SessionId === sessionId && s.EndDate instanceof Date));
    } finally {
      run.kill();
    }
  });

  it("pages DescribeSessions and applies its filters", async () => {
    const ssm = server.ssm();
    const all = await ssm.send(new DescribeSessionsCommand({ State: "History" }));
    assert.ok((all.Sessions?.length ?? 0) >= 3);
    const first = await ssm.send(new DescribeSessionsCommand({ State: "History", MaxResults: 1 }));
    assert.equal(first.Sessions?.length, 1);
    assert.ok(first.NextToken);
    const second = await ssm.send(new DescribeSessionsCommand({ State: "History", MaxResults: 1, NextToken: first.NextToken }));
    assert.notEqual(second.Sessions?.[0]?.SessionId, first.Sessions?.[0]?.SessionId);
    const future = await ssm.send(new DescribeSessionsCommand({ State: "History", Filters: [{ key: "InvokedAfter", value: "2100-01-01T00:00:00Z" }] }));
    assert.equal(future.Sessions?.length, 0);
    const byStatus = await ssm.send(new DescribeSessionsCommand({ State: "History", Filters: [{ key: "Status", value: "Terminated" }] }));
    assert.ok(byStatus.Sessions?.every((s) => s.Status === "Terminated"));
    await assert.rejects(ssm.send(new DescribeSessionsCommand({ State: "History", NextToken: "garbage" })), { name: "InvalidNextToken" });
  });
});

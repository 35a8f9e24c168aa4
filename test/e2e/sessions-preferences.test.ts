import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeSessionsCommand, UpdateDocumentCommand, UpdateDocumentDefaultVersionCommand } from "@aws-sdk/client-ssm";
import { allowAll, createUser, startServer, type TestServer } from "../harness/index.js";
import { type AgentNode, cli, cliEnv, cliInPty, startAgent, stripAnsi, until, within, sessionIdOf } from "./sessions-helpers.js";

/** Session preferences as the console writes them: the account's SSM-SessionManagerRunShell. */
async function setPreferences(server: TestServer, inputs: Record<string, unknown>): Promise<void> {
  const content = JSON.stringify({ schemaVersion: "1.0", description: "Session Manager Configuration", sessionType: "Standard_Stream", inputs });
  const r = await server.ssm().send(new UpdateDocumentCommand({ Name: "SSM-SessionManagerRunShell", Content: content, DocumentVersion: "$LATEST" }));
  const version = r.DocumentDescription?.DocumentVersion;
  if (version && version !== r.DocumentDescription?.DefaultVersion) {
    await server.ssm().send(new UpdateDocumentDefaultVersionCommand({ Name: "SSM-SessionManagerRunShell", DocumentVersion: version }));
  }
}

describe("sessions: preferences from SSM-SessionManagerRunShell", () => {
  let server: TestServer;
  let node: AgentNode;
  before(async () => {
    server = await startServer({ testClock: true });
    node = await startAgent(server);
    await setPreferences(server, {
      idleSessionTimeout: "60",
      maxSessionDuration: "10",
      runAsEnabled: true,
      runAsDefaultUser: "nobody",
      shellProfile: { linux: "PROFILE_MARK=from-profile", windows: "" },
    });
  });
  after(async () => {
    await node?.stop();
    await server?.destroy();
  });

  async function shell(env: Record<string, string>) {
    const run = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", server.caFile], env);
    const sessionId = await sessionIdOf(run);
    return { run, sessionId };
  }

  it("runs the shell as runAsDefaultUser with the shell profile, and as the caller's SSMSessionRunAs tag", async () => {
    const { run, sessionId } = await shell(cliEnv(server, server.admin));
    try {
      run.pty.write('echo "user=$(id -un) mark=$PROFILE_MARK"\r');
      await run.waitFor("user=nobody mark=from-profile");
      const s = await server.ssm().send(new DescribeSessionsCommand({ State: "Active", Filters: [{ key: "SessionId", value: sessionId }] }));
      assert.equal(s.Sessions?.[0]?.MaxSessionDuration, "10");
      run.pty.write("exit\r");
      assert.equal(await within(run.exited, "run to exit"), 0);
    } finally {
      run.kill();
    }

    const tagged = await createUser(server, "tagged", [allowAll], { tags: { SSMSessionRunAs: "daemon" } });
    const second = await shell(cliEnv(server, tagged));
    try {
      second.run.pty.write('echo "user=$(id -un)"\r');
      await second.run.waitFor("user=daemon");
      assert.match(second.sessionId, /^tagged-/);
      second.run.pty.write("exit\r");
      assert.equal(await second.run.exited, 0);
    } finally {
      second.run.kill();
    }
  });

  it("tells the client when the Run As user does not exist on the node", async () => {
    const ghost = await createUser(server, "ghost", [allowAll], { tags: { SSMSessionRunAs: "no-such-user" } });
    const { run } = await shell(cliEnv(server, ghost));
    try {
      await run.waitFor("RunAs user no-such-user does not exist");
      assert.equal(await within(run.exited, "run to exit"), 0);
    } finally {
      run.kill();
    }
  });

  it("ends a session at the maximum session duration even while it is busy", async () => {
    const { run, sessionId } = await shell(cliEnv(server, server.admin));
    try {
      run.pty.write("echo BUSY-$((5*5))\r");
      await run.waitFor("BUSY-25");
      await server.advanceClock(5 * 60);
      run.pty.write("echo STILL-$((5*6))\r");
      await run.waitFor("STILL-30");
      await server.advanceClock(6 * 60);
      assert.equal(await within(run.exited, "run to exit"), 0);
      assert.match(stripAnsi(run.output()), /terminated because it reached the maximum session duration/);
      await until("terminated", async () => {
        const h = await server.ssm().send(new DescribeSessionsCommand({ State: "History", Filters: [{ key: "SessionId", value: sessionId }] }));
        return h.Sessions?.[0]?.Status === "Terminated";
      });
    } finally {
      run.kill();
    }
  });

  it("deletes a recording when the retention the preferences set has passed", async () => {
    await setPreferences(server, { idleSessionTimeout: "20", runAsEnabled: true, runAsDefaultUser: "nobody", recordingRetentionDays: "1" });
    const r = cli(
      [
        "session",
        "start",
        "--target",
        node.instanceId,
        "--document-name",
        "AWS-StartNonInteractiveCommand",
        "--parameter",
        "command=echo KEPT-FOR-A-DAY",
        "--ca-file",
        server.caFile,
      ],
      cliEnv(server, server.admin),
    );
    r.child.stdin?.end();
    assert.equal(await within(r.exited, "the command session to end"), 0, r.output());
    const sessionId = /SessionId: (\S+)/.exec(r.output())?.[1] as string;
    await until("terminated", async () => {
      const h = await server.ssm().send(new DescribeSessionsCommand({ State: "History", Filters: [{ key: "SessionId", value: sessionId }] }));
      return h.Sessions?.[0]?.Status === "Terminated";
    });
    const env = { ...cliEnv(server, server.admin), OPENSSM_MASTER_KEY: server.masterKey };
    const storage = ["--data-dir", server.dataDir, "--database-url", server.databaseUrl];
    const kept = cli(["session", "log", sessionId, ...storage], env);
    assert.equal(await within(kept.exited, "session log"), 0, kept.output());
    assert.match(kept.output(), /KEPT-FOR-A-DAY/);
    await server.advanceClock(2 * 86_400);
    const gone = cli(["session", "log", sessionId, ...storage], env);
    assert.equal(await within(gone.exited, "session log"), 1);
    assert.match(gone.output(), /deleted when its retention ended/);
  });
});

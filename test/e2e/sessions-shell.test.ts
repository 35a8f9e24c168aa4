import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeSessionsCommand } from "@aws-sdk/client-ssm";
import { openStorage } from "@openssm/server";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentNode, cli, cliEnv, cliInPty, sessionIdOf, startAgent, stripAnsi, until, within } from "./sessions-helpers.js";

describe("sessions: a shell through openssm session start", () => {
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

  let sessionId = "";

  it("opens a shell, runs commands, resizes and exits", async () => {
    const run = await cliInPty(
      ["session", "start", "--target", node.instanceId, "--reason", "smoke test", "--ca-file", server.caFile],
      cliEnv(server, server.admin),
    );
    try {
      sessionId = await sessionIdOf(run);
      run.pty.write("echo SESSION-$((6*7))\r");
      await run.waitFor("SESSION-42");
      run.pty.resize(132, 40);
      // SIGWINCH reaches the client in its own time: keys typed just after a resize can get to the
      // node before the new size does, as in any terminal. Ask again until the node has the new size.
      await until(
        () => `the new size in the terminal (got: ${JSON.stringify(stripAnsi(run.output()).slice(-400))})`,
        () => {
          run.pty.write("stty size\r");
          return stripAnsi(run.output()).includes("40 132");
        },
        30_000,
        500,
      );
      const active = await server.ssm().send(new DescribeSessionsCommand({ State: "Active" }));
      assert.ok(active.Sessions?.some((s) => s.SessionId === sessionId));
      run.pty.write("exit\r");
      assert.equal(await within(run.exited, "run to exit"), 0);
      assert.match(stripAnsi(run.output()), /Exiting session with sessionId/);
      await until("the session in history", async () => {
        const h = await server.ssm().send(new DescribeSessionsCommand({ State: "History" }));
        return h.Sessions?.find((s) => s.SessionId === sessionId && s.Status === "Terminated");
      });
    } finally {
      run.kill();
    }
  });

  it("recorded what was typed and printed, encrypted at rest, readable with openssm session log", async () => {
    assert.ok(sessionId, "the shell test ran first");
    const storage = {
      env: { ...cliEnv(server, server.admin), OPENSSM_MASTER_KEY: server.masterKey },
      args: ["--data-dir", server.dataDir, "--database-url", server.databaseUrl],
    };
    const plain = cli(["session", "log", sessionId, ...storage.args], storage.env);
    assert.equal(await within(plain.exited, "plain to exit"), 0, plain.output());
    assert.match(plain.output(), /SESSION-42/);
    assert.match(plain.output(), /StartSession request [0-9a-f-]{36}/);
    assert.match(plain.output(), /reason: smoke test/);

    const cast = cli(["session", "log", sessionId, "--asciicast", ...storage.args], storage.env);
    assert.equal(await within(cast.exited, "cast to exit"), 0, cast.output());
    const lines = cast.output().trim().split("\n");
    const header = JSON.parse(lines[0]) as { version: number; width: number; height: number };
    assert.equal(header.version, 2);
    const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
    const typed = events
      .filter((e) => e[1] === "i")
      .map((e) => e[2])
      .join("");
    const printed = events
      .filter((e) => e[1] === "o")
      .map((e) => e[2])
      .join("");
    assert.match(typed, /echo SESSION-\$\(\(6\*7\)\)/);
    assert.match(typed, /exit/);
    assert.match(printed, /SESSION-42/);
    assert.ok(
      events.some((e) => e[1] === "r" && e[2] === "132x40"),
      "the resize is recorded",
    );
    for (let i = 1; i < events.length; i++) assert.ok(events[i][0] >= events[i - 1][0], "events are in time order");

    // Nothing of it is stored in plaintext.
    const s = openStorage(server.databaseUrl);
    try {
      const rows = await s.db.selectFrom("session_recording_chunks").select(["data"]).where("session_id", "=", sessionId).execute();
      assert.ok(rows.length > 0);
      for (const r of rows) assert.ok(!Buffer.from(r.data as Buffer).includes("SESSION-42"));
    } finally {
      await s.close();
    }
  });
});

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DescribeSessionsCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentNode, cli, cliEnv, cliInPty, startAgent, stripAnsi, until, within, sessionIdOf } from "./sessions-helpers.js";

describe("sessions: interactive and non-interactive commands, remote hosts, restarts", () => {
  let server: TestServer;
  let node: AgentNode;
  let web: Server;
  let webPort = 0;
  before(async () => {
    server = await startServer({ testClock: true });
    node = await startAgent(server);
    web = createServer((req, res) => res.end(`remote ${req.url}`));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    webPort = (web.address() as AddressInfo).port;
  });
  after(async () => {
    web?.close();
    await node?.stop();
    await server?.destroy();
  });

  const env = () => cliEnv(server, server.admin);

  it("runs AWS-StartInteractiveCommand in a terminal (handshake, then the command's own terminal)", async () => {
    const run = await cliInPty(
      [
        "session",
        "start",
        "--target",
        node.instanceId,
        "--document-name",
        "AWS-StartInteractiveCommand",
        "--parameter",
        'command=read -r line; echo "got:$line"; stty size',
        "--ca-file",
        server.caFile,
      ],
      env(),
      { cols: 90, rows: 33 },
    );
    try {
      await run.waitFor(/Starting session with SessionId/);
      run.pty.write("hello there\r");
      await run.waitFor("got:hello there");
      await run.waitFor("33 90");
      assert.equal(await within(run.exited, "run to exit"), 0);
    } finally {
      run.kill();
    }
  });

  it("runs AWS-StartNonInteractiveCommand and exits with the command's output", async () => {
    const r = cli(
      [
        "session",
        "start",
        "--target",
        node.instanceId,
        "--document-name",
        "AWS-StartNonInteractiveCommand",
        "--parameter",
        "command=echo to-stdout; echo to-stderr >&2",
        "--ca-file",
        server.caFile,
      ],
      env(),
    );
    r.child.stdin?.end();
    assert.equal(await within(r.exited, "r to exit"), 0, r.output());
    assert.match(r.output(), /to-stdout/);
    assert.match(r.output(), /to-stderr/);
  });

  it("forwards to a remote host through the node", async () => {
    const pf = cli(
      ["session", "port-forward", "--target", node.instanceId, "--remote-host", "localhost", "--remote-port", String(webPort), "--ca-file", server.caFile],
      env(),
    );
    try {
      const m = await until("the local port", () => /Port (\d+) opened for sessionId (\S+)\./.exec(pf.output()));
      const res = await fetch(`http://127.0.0.1:${m[1]}/via-node`);
      assert.equal(await res.text(), "remote /via-node");
      const s = await server.ssm().send(new DescribeSessionsCommand({ State: "Active", Filters: [{ key: "SessionId", value: m[2] }] }));
      assert.equal(s.Sessions?.[0]?.DocumentName, "AWS-StartPortForwardingSessionToRemoteHost");
      pf.child.kill("SIGTERM");
      assert.equal(await within(pf.exited, "pf to exit"), 0);
    } finally {
      pf.child.kill("SIGKILL");
    }
  });

  it("keeps a shell through a server crash and restart (ResumeSession, the agent reconnects its data channel)", async () => {
    const run = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", server.caFile], env());
    try {
      const sessionId = await sessionIdOf(run);
      run.pty.write("echo BEFORE-$((3*3))\r");
      await run.waitFor("BEFORE-9");
      await within(server.kill(), "the server to die", 30_000);
      await server.restart();
      run.pty.write("echo AFTER-$((4*4))\r");
      await run.waitFor("AFTER-16", 90_000);
      run.pty.write("exit\r");
      assert.equal(await within(run.exited, "run to exit"), 0);
      assert.match(stripAnsi(run.output()), new RegExp(`Exiting session with sessionId: ${sessionId}`));
    } finally {
      run.kill();
    }
  });
});

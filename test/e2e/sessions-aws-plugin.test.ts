import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { delimiter, dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentNode, startAgent, stripAnsi, until, within } from "./sessions-helpers.js";

/**
 * `aws ssm start-session` with AWS's own session-manager-plugin against openssm and openssm-agent.
 * The plugin is not part of this repository: these tests run when it is on PATH (or its file is
 * named by OPENSSM_TEST_SESSION_MANAGER_PLUGIN) and the aws CLI is installed, and skip otherwise.
 */
const AWS = process.env.OPENSSM_TEST_AWS_CLI ?? "/usr/bin/aws";
const pluginDir = (() => {
  const explicit = process.env.OPENSSM_TEST_SESSION_MANAGER_PLUGIN;
  if (explicit) return existsSync(explicit) ? dirname(explicit) : undefined;
  return (process.env.PATH ?? "").split(delimiter).find((d) => d && existsSync(join(d, "session-manager-plugin")));
})();
const skip = !pluginDir || !existsSync(AWS) ? "needs AWS's session-manager-plugin on PATH (or OPENSSM_TEST_SESSION_MANAGER_PLUGIN) and the aws CLI" : false;

async function awsInPty(args: string[], env: Record<string, string>) {
  const pty = await import("node-pty");
  const p = pty.spawn(AWS, args, { name: "xterm-256color", cols: 100, rows: 30, env: { ...(process.env as Record<string, string>), ...env } });
  let out = "";
  p.onData((d) => {
    out += d;
  });
  const exited = new Promise<number>((r) => p.onExit(({ exitCode }) => r(exitCode)));
  return { p, out: () => stripAnsi(out), exited };
}

describe("sessions: aws ssm start-session with AWS's session-manager-plugin", { skip }, () => {
  let server: TestServer;
  let node: AgentNode;
  let web: Server;
  let webPort = 0;
  let env: Record<string, string>;
  before(async () => {
    server = await startServer({ testClock: true });
    node = await startAgent(server);
    web = createServer((req, res) => res.end(`plugin-forwarded ${req.url}`));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    webPort = (web.address() as AddressInfo).port;
    env = {
      PATH: `${pluginDir}${delimiter}${process.env.PATH}`,
      AWS_ACCESS_KEY_ID: server.admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: server.admin.secretAccessKey,
      AWS_REGION: server.region,
      AWS_DEFAULT_REGION: server.region,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_PAGER: "",
      // The plugin (Go) trusts the server's CA for the wss:// stream URL through SSL_CERT_FILE.
      SSL_CERT_FILE: server.caFile,
    };
  });
  after(async () => {
    web?.close();
    await node?.stop();
    await server?.destroy();
  });

  it("opens a shell, follows the terminal size and exits", async () => {
    const shell = await awsInPty(["ssm", "start-session", "--target", node.instanceId, "--endpoint-url", server.endpoint], env);
    try {
      await until("the session", () => shell.out().includes("Starting session with SessionId"), 30_000);
      shell.p.write("echo PLUGIN-$((6*7))\r");
      await until("PLUGIN-42", () => shell.out().includes("PLUGIN-42"), 20_000);
      shell.p.resize(120, 44);
      // the plugin looks at the terminal size every 500 ms
      await until(
        "the new size",
        () => {
          shell.p.write("stty size\r");
          return shell.out().includes("44 120");
        },
        20_000,
        700,
      );
      shell.p.write("exit\r");
      assert.equal(await within(shell.exited, "shell to exit"), 0);
      assert.match(shell.out(), /Exiting session with sessionId/);
    } finally {
      shell.p.kill();
    }
  });

  it("forwards a port with two connections at once, and exits on Ctrl-C", async () => {
    const pf = await awsInPty(
      [
        "ssm",
        "start-session",
        "--target",
        node.instanceId,
        "--endpoint-url",
        server.endpoint,
        "--document-name",
        "AWS-StartPortForwardingSession",
        "--parameters",
        `portNumber=${webPort},localPortNumber=0`,
      ],
      env,
    );
    try {
      const m = await until("the local port", () => /Port (\d+) opened/.exec(pf.out()), 30_000);
      const [a, b] = await Promise.all([
        fetch(`http://127.0.0.1:${m[1]}/one`).then((r) => r.text()),
        fetch(`http://127.0.0.1:${m[1]}/two`).then((r) => r.text()),
      ]);
      assert.deepEqual([a, b], ["plugin-forwarded /one", "plugin-forwarded /two"]);
      pf.p.write("\x03");
      assert.equal(await within(pf.exited, "pf to exit"), 0);
    } finally {
      pf.p.kill();
    }
  });
});

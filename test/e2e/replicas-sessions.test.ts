import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import { eventually, testEngine } from "../harness/index.js";
import { type AgentProcess, createActivation, launchAgent, stopAllAgents } from "./agent-support.js";
import { type Cluster, haproxyMissing, startCluster } from "./replicas-support.js";
import { cli, cliEnv, cliInPty, sessionIdOf, stripAnsi, until, within } from "./sessions-helpers.js";

/**
 * Three replicas on one PostgreSQL database behind HAProxy (HTTP mode for the API port, TCP mode for
 * the TLS port): the CLI and the agent know only the balancer's address. The node's replica is
 * drained in the balancer, so both ends of every data channel land on other replicas, which carry
 * them to the replica holding the node's channel. When that replica is killed, its sessions end
 * with a clean close for their clients, and new sessions work once the agent has reconnected.
 */
const skip = testEngine !== "postgres" ? "several replicas need PostgreSQL" : haproxyMissing;

describe("sessions through a load balancer in front of three replicas (PostgreSQL)", { skip }, () => {
  let cluster: Cluster;
  let node: AgentProcess;

  before(async () => {
    cluster = await startCluster(3);
    node = await launchAgent(cluster.front, await createActivation(cluster.front, 1), "mgs", { name: "behind-lb" });
  });
  after(async () => {
    await stopAllAgents([node?.dataDir].filter(Boolean) as string[]);
    await cluster?.close();
  });

  it("opens a shell and forwards a port through the balancer to a node whose channel is on another replica", async () => {
    const { front, lb } = cluster;
    const home = await cluster.homeOf(node.instanceId);
    // No new connection reaches the node's replica: every data channel, the client's and the agent's, lands elsewhere.
    await lb.admin(`set server mgs/${cluster.nameOf(home)} state drain`);
    try {
      const started = await front.ssm().send(new StartSessionCommand({ Target: node.instanceId }));
      assert.equal(new URL(String(started.StreamUrl)).origin.replace("wss:", "https:"), lb.tlsUrl, "StreamUrl names the balancer");
      await front.ssm().send(new TerminateSessionCommand({ SessionId: started.SessionId }));

      const run = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", front.caFile], cliEnv(front, front.admin));
      try {
        await sessionIdOf(run);
        run.pty.write("echo THROUGH-$((40+2))\r");
        await run.waitFor("THROUGH-42");
        run.pty.write("exit\r");
        assert.equal(await within(run.exited, "the shell to exit"), 0);
      } finally {
        run.kill();
      }

      const web: Server = createServer((req, res) => res.end(`node web ${req.url}`));
      await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
      const webPort = (web.address() as AddressInfo).port;
      const pf = cli(
        ["session", "port-forward", "--target", node.instanceId, "--remote-port", String(webPort), "--local-port", "0", "--ca-file", front.caFile],
        cliEnv(front, front.admin),
      );
      try {
        const opened = await until(
          () => `the local port (output: ${pf.output()})`,
          () => /Port (\d+) opened for sessionId (\S+)\./.exec(pf.output()),
          90_000,
        );
        await until("waiting for connections", () => pf.output().includes("Waiting for connections"));
        const body = await (await fetch(`http://127.0.0.1:${opened[1]}/across`)).text();
        assert.equal(body, "node web /across");
        pf.child.kill("SIGINT");
        assert.equal(await within(pf.exited, "port forwarding to exit"), 0);
      } finally {
        pf.child.kill("SIGKILL");
        web.close();
      }
      // The node's channel stayed where it was: the streams were carried to it.
      assert.equal(await cluster.view.channelHome(node.instanceId, cluster.replicas), home);
    } finally {
      await lb.admin(`set server mgs/${cluster.nameOf(home)} state ready`);
    }
  });

  it("a session relayed by a replica that is killed ends with a clean close for its client; new sessions work", async () => {
    const { front, lb, view } = cluster;
    const home = await cluster.homeOf(node.instanceId);
    await lb.admin(`set server mgs/${cluster.nameOf(home)} state drain`);
    const run = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", front.caFile], cliEnv(front, front.admin));
    try {
      const sessionId = await sessionIdOf(run);
      run.pty.write("echo BEFORE-$((2+3))\r");
      await run.waitFor("BEFORE-5");
      await home.kill();
      assert.equal(await within(run.exited, "the client to exit", 30_000), 0, stripAnsi(run.output()));
      assert.match(stripAnsi(run.output()), /The server relaying this session stopped/);
      await eventually(async () => (await view.sessionStatus(sessionId)) === "Terminated" || undefined, { what: "the session Terminated" });
    } finally {
      run.kill();
    }
    // The agent reconnects through the balancer to a survivor; a new session works there.
    const survivor = await cluster.homeOf(node.instanceId);
    assert.notEqual(survivor, home);
    const next = await cliInPty(["session", "start", "--target", node.instanceId, "--ca-file", front.caFile], cliEnv(front, front.admin));
    try {
      await sessionIdOf(next);
      next.pty.write("echo AFTER-$((3+4))\r");
      await next.waitFor("AFTER-7");
      next.pty.write("exit\r");
      assert.equal(await within(next.exited, "the new shell to exit"), 0);
    } finally {
      next.kill();
    }
  });
});

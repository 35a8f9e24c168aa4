import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { DescribeSessionsCommand } from "@aws-sdk/client-ssm";
import { openStorage, readRecording } from "@openssm/server";
import { startServer, type TestServer } from "../harness/index.js";
import { type AgentNode, cli, cliEnv, startAgent, until, within } from "./sessions-helpers.js";

/** The session's recording chunks, opened (none when it was not recorded). */
async function recordedOutput(server: TestServer, sessionId: string): Promise<{ chunks: number; output: string }> {
  const s = openStorage(server.databaseUrl);
  try {
    const row = await s.db.selectFrom("sessions").select(["recording_key"]).where("session_id", "=", sessionId).executeTakeFirstOrThrow();
    const chunks = await s.db.selectFrom("session_recording_chunks").select("seq").where("session_id", "=", sessionId).execute();
    const events = await readRecording(s.db, Buffer.from(server.masterKey, "base64"), sessionId, Buffer.from(row.recording_key as Buffer));
    return { chunks: chunks.length, output: Buffer.concat(events.filter((e) => e.kind === "o").map((e) => e.data)).toString("latin1") };
  } finally {
    await s.close();
  }
}

/** Forwards one HTTP request through `openssm session port-forward` and ends the session; its id. */
async function forwardOnce(server: TestServer, node: AgentNode, webPort: number, path: string): Promise<{ sessionId: string; body: string }> {
  const pf = cli(
    ["session", "port-forward", "--target", node.instanceId, "--remote-port", String(webPort), "--local-port", "0", "--ca-file", server.caFile],
    cliEnv(server, server.admin),
  );
  try {
    const text = await until("the local port", () => /Port (\d+) opened for sessionId (\S+)\./.exec(pf.output()), 30_000);
    await until("waiting for connections", () => pf.output().includes("Waiting for connections"));
    const body = await (await fetch(`http://127.0.0.1:${text[1]}${path}`)).text();
    pf.child.kill("SIGINT");
    assert.equal(await within(pf.exited, "pf to exit"), 0);
    await until("the session in history", async () => {
      const h = await server.ssm().send(new DescribeSessionsCommand({ State: "History", Filters: [{ key: "SessionId", value: text[2] }] }));
      return h.Sessions?.[0]?.Status === "Terminated";
    });
    return { sessionId: text[2], body };
  } finally {
    pf.child.kill("SIGKILL");
  }
}

describe("sessions: port forwarding through openssm session port-forward", () => {
  let server: TestServer;
  let node: AgentNode;
  let web: Server;
  let webPort = 0;
  let fastSeen: () => void;
  const fastArrived = new Promise<void>((r) => {
    fastSeen = r;
  });

  before(async () => {
    server = await startServer({ testClock: true });
    node = await startAgent(server);
    // The service on the node: /slow answers only once /fast has arrived, so both must be open at once.
    web = createServer((req, res) => {
      if (req.url === "/fast") {
        fastSeen();
        res.end("fast answer");
      } else if (req.url === "/slow") {
        void fastArrived.then(() => res.end(`slow answer ${"x".repeat(200_000)}`));
      } else res.end(`hello from ${req.url}`);
    });
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    webPort = (web.address() as AddressInfo).port;
  });
  after(async () => {
    web?.close();
    await node?.stop();
    await server?.destroy();
  });

  it("carries HTTP requests, two connections at the same time, and ends cleanly", async () => {
    const pf = cli(
      ["session", "port-forward", "--target", node.instanceId, "--remote-port", String(webPort), "--local-port", "0", "--ca-file", server.caFile],
      cliEnv(server, server.admin),
    );
    try {
      const text = await until("the local port", () => /Port (\d+) opened for sessionId (\S+)\./.exec(pf.output()), 30_000);
      const localPort = Number(text[1]);
      const sessionId = text[2];
      await until("waiting for connections", () => pf.output().includes("Waiting for connections"));

      const first = await fetch(`http://127.0.0.1:${localPort}/hello`);
      assert.equal(await first.text(), "hello from /hello");

      const slow = fetch(`http://127.0.0.1:${localPort}/slow`).then((r) => r.text());
      const fast = fetch(`http://127.0.0.1:${localPort}/fast`).then((r) => r.text());
      assert.equal(await fast, "fast answer");
      const slowBody = await slow;
      assert.ok(slowBody.startsWith("slow answer xxx"));
      assert.equal(slowBody.length, "slow answer ".length + 200_000);

      const active = await server.ssm().send(new DescribeSessionsCommand({ State: "Active", Filters: [{ key: "SessionId", value: sessionId }] }));
      assert.equal(active.Sessions?.[0]?.DocumentName, "AWS-StartPortForwardingSession");

      pf.child.kill("SIGINT");
      assert.equal(await within(pf.exited, "pf to exit"), 0);
      await until("the session in history", async () => {
        const h = await server.ssm().send(new DescribeSessionsCommand({ State: "History", Filters: [{ key: "SessionId", value: sessionId }] }));
        return h.Sessions?.[0]?.Status === "Terminated";
      });
    } finally {
      pf.child.kill("SIGKILL");
    }
  });
  it("is not recorded, as AWS does not log port sessions (openssm session log says so)", async () => {
    const { sessionId, body } = await forwardOnce(server, node, webPort, "/unrecorded");
    assert.equal(body, "hello from /unrecorded");
    const recorded = await recordedOutput(server, sessionId);
    assert.equal(recorded.chunks, 0);
    const env = { ...cliEnv(server, server.admin), OPENSSM_MASTER_KEY: server.masterKey };
    const log = cli(["session", "log", sessionId, "--data-dir", server.dataDir, "--database-url", server.databaseUrl], env);
    assert.notEqual(await within(log.exited, "session log to exit"), 0);
    assert.match(log.output(), /not recorded .*--record-port-sessions/);
  });
});

describe("sessions: port forwarding recorded when the operator asks (--record-port-sessions)", () => {
  let server: TestServer;
  let node: AgentNode;
  let web: Server;
  let webPort = 0;

  before(async () => {
    server = await startServer({ env: { OPENSSM_RECORD_PORT_SESSIONS: "1" } });
    node = await startAgent(server);
    web = createServer((req, res) => res.end(`recorded answer for ${req.url}`));
    await new Promise<void>((r) => web.listen(0, "127.0.0.1", r));
    webPort = (web.address() as AddressInfo).port;
  });
  after(async () => {
    web?.close();
    await node?.stop();
    await server?.destroy();
  });

  it("keeps what was forwarded, sealed", async () => {
    const { sessionId, body } = await forwardOnce(server, node, webPort, "/forwarded");
    assert.equal(body, "recorded answer for /forwarded");
    const recorded = await until("the recording", async () => {
      const r = await recordedOutput(server, sessionId);
      return r.output.includes("recorded answer for /forwarded") ? r : undefined;
    });
    assert.ok(recorded.chunks > 0);
  });
});

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, GetParametersByPathCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import WebSocket from "ws";
import { createUser, eventually, startServer, type TestServer } from "../harness/index.js";
import { openssm, signedCall } from "./security-helpers.js";

/** The server's worker processes (its children), by pid. */
function workerPids(server: TestServer): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(server.process.pid)], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** A client with its own connections: Node's cluster hands each new connection to one worker. */
const freshClient = (server: TestServer) => new SSMClient({ endpoint: server.endpoint, region: server.region, credentials: server.admin, maxAttempts: 1 });

describe("API workers: several processes answer the API on one port", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { OPENSSM_API_WORKERS: "2" } });
  });
  after(async () => server?.destroy());

  it("starts the workers, and every connection reads its own writes", async () => {
    assert.equal(workerPids(server).length, 2, "two API worker processes");
    for (let i = 0; i < 12; i++) {
      const ssm = freshClient(server);
      try {
        await ssm.send(new PutParameterCommand({ Name: "/workers/counter", Value: `v${i}`, Type: "String", Overwrite: true }));
        const got = await ssm.send(new GetParameterCommand({ Name: "/workers/counter" }));
        assert.equal(got.Parameter?.Value, `v${i}`);
        assert.equal(got.Parameter?.Version, i + 1);
      } finally {
        ssm.destroy();
      }
    }
    const byPath = await server.ssm().send(new GetParametersByPathCommand({ Path: "/workers" }));
    assert.deepEqual(
      byPath.Parameters?.map((p) => p.Name),
      ["/workers/counter"],
    );
  });

  it("answers reads in the workers themselves: they go on while the main process is stopped", async () => {
    await server.ssm().send(new PutParameterCommand({ Name: "/workers/read-only", Value: "still here", Type: "SecureString" }));
    // Connections are handed to workers when they open (by the main process): open them first.
    const clients = Array.from({ length: 4 }, () => freshClient(server));
    for (const ssm of clients) await ssm.send(new GetParameterCommand({ Name: "/workers/read-only" }));
    const main = server.process.pid as number;
    process.kill(main, "SIGSTOP");
    try {
      for (const ssm of clients) {
        const got = await ssm.send(new GetParameterCommand({ Name: "/workers/read-only", WithDecryption: true }), { abortSignal: AbortSignal.timeout(10_000) });
        assert.equal(got.Parameter?.Value, "still here");
        await assert.rejects(ssm.send(new GetParameterCommand({ Name: "/workers/missing" }), { abortSignal: AbortSignal.timeout(10_000) }), {
          name: "ParameterNotFound",
        });
      }
    } finally {
      process.kill(main, "SIGCONT");
      for (const ssm of clients) ssm.destroy();
    }
  });

  it("records the calls the workers answered in the main process's audit trail", async () => {
    const rows = await eventually(
      async () => {
        const r = await openssm(server, ["audit", "--json", "--since", "-1h", "--operation", "GetParameter", "--limit", "1000"]);
        assert.equal(r.code, 0, r.stderr);
        const list = r.json as { parameters: { Name?: string }; errorCode: string | null; sourceIp: string }[];
        return list.filter((x) => x.parameters.Name === "/workers/missing").length >= 4 ? list : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 200, what: "the workers' audit records" },
    );
    const missing = rows.filter((x) => x.parameters.Name === "/workers/missing");
    assert.ok(missing.every((x) => x.errorCode === "ParameterNotFound" && x.sourceIp === "127.0.0.1"));
  });

  it("judges aws:SourceIp by the caller's address, in a worker and behind one, and ignores a forged forwarding header", async () => {
    const policy = (cidr: string) => ({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: "ssm:*", Resource: "*", Condition: { IpAddress: { "aws:SourceIp": cidr } } }],
    });
    const local = await createUser(server, "workers-local", [policy("127.0.0.0/8")]);
    const remote = await createUser(server, "workers-remote", [policy("203.0.113.0/24")]);
    const put = JSON.stringify({ Name: "/workers/ip", Value: "x", Type: "String", Overwrite: true });
    const get = JSON.stringify({ Name: "/workers/ip" });
    // PutParameter is passed to the main process, GetParameter is answered in a worker.
    assert.equal((await signedCall(server, "AmazonSSM.PutParameter", put, local)).status, 200);
    assert.equal((await signedCall(server, "AmazonSSM.GetParameter", get, local)).status, 200);
    const forged = { "x-openssm-forwarded-for": "203.0.113.7", "x-openssm-forward-token": "0".repeat(64) };
    for (const target of ["AmazonSSM.PutParameter", "AmazonSSM.GetParameter"]) {
      const body = target.endsWith("PutParameter") ? put : get;
      // Sent along, the claim is replaced by the worker (forwarded call) or ignored (answered in a worker).
      const r = await signedCall(server, target, body, remote, { unsigned: forged });
      assert.equal(r.type, "AccessDeniedException", `${target}: ${r.text}`);
      // Signed by the caller, it cannot be replaced without breaking the signature: refused either way.
      const signed = await signedCall(server, target, body, remote, { signed: forged });
      assert.ok(["AccessDeniedException", "InvalidSignatureException"].includes(signed.type), `${target}: ${signed.text}`);
    }
  });

  it("passes websocket upgrades to the main process", async () => {
    const url = `${server.endpoint.replace(/^http/, "ws")}/v1/control-channel/mi-00000000000000000`;
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.once("unexpected-response", (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once("open", () => reject(new Error("an unsigned control channel was accepted")));
      ws.once("error", (e) => reject(e));
    });
    // The main process's own refusal of an unsigned channel (a worker has no such route).
    assert.ok(status === 401 || status === 403, `HTTP ${status}`);
  });

  it("replaces a worker that dies and keeps answering", async () => {
    const [victim] = workerPids(server);
    process.kill(victim, "SIGKILL");
    const pids = await eventually(
      async () => {
        const now = workerPids(server);
        return now.length === 2 && !now.includes(victim) ? now : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: "a new worker" },
    );
    assert.equal(pids.length, 2);
    for (let i = 0; i < 4; i++) {
      const ssm = freshClient(server);
      try {
        const got = await ssm.send(new GetParameterCommand({ Name: "/workers/counter" }));
        assert.equal(got.Parameter?.Value, "v11");
      } finally {
        ssm.destroy();
      }
    }
  });
});

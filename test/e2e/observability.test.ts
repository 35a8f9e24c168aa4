import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { GetParameterCommand, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { registerFakeNode } from "../harness/fake-node.js";
import { eventually, startServer, type TestServer } from "../harness/index.js";

/** The value of one sample in a Prometheus text exposition, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const close = line.indexOf("}");
    const have = line.slice(name.length + 1, close).split(",");
    if (want.every((w) => have.includes(w)) && have.length === want.length) return Number(line.slice(close + 2));
  }
  return undefined;
}

describe("observability: /metrics, /health/live, /health/ready", () => {
  let server: TestServer;
  let ssm: SSMClient;
  const scrape = async () => {
    const res = await fetch(new URL("/metrics", server.endpoint));
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    return res.text();
  };

  before(async () => {
    server = await startServer({ testClock: true });
    ssm = server.ssm();
  });
  after(async () => server?.destroy());

  it("counts API calls per operation and outcome, with latencies", async () => {
    await ssm.send(new PutParameterCommand({ Name: "/obs/one", Value: "v", Type: "String" }));
    await ssm.send(new GetParameterCommand({ Name: "/obs/one" }));
    await ssm.send(new GetParameterCommand({ Name: "/obs/one" }));
    await assert.rejects(ssm.send(new GetParameterCommand({ Name: "/obs/missing" })), { name: "ParameterNotFound" });
    // An unknown target is counted, but under one label: callers cannot mint series.
    const res = await fetch(new URL("/", server.endpoint), {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonSSM.NoSuchThing12345" },
      body: "{}",
    });
    assert.equal(res.status, 400);
    const text = await scrape();
    const total = "openssm_api_requests_total";
    assert.equal(sample(text, total, { service: "ssm", operation: "PutParameter", outcome: "ok" }), 1);
    assert.equal(sample(text, total, { service: "ssm", operation: "GetParameter", outcome: "ok" }), 2);
    assert.equal(sample(text, total, { service: "ssm", operation: "GetParameter", outcome: "ParameterNotFound" }), 1);
    assert.equal(sample(text, total, { service: "unknown", operation: "unknown", outcome: "UnknownOperationException" }), 1);
    assert.ok(!text.includes("NoSuchThing12345"));
    const count = "openssm_api_request_duration_seconds_count";
    assert.equal(sample(text, count, { service: "ssm", operation: "GetParameter", outcome: "ok" }), 2);
    assert.equal(sample(text, "openssm_api_request_duration_seconds_bucket", { service: "ssm", operation: "GetParameter", outcome: "ok", le: "+Inf" }), 2);
    assert.match(text, /^openssm_process_resident_memory_bytes \d+/m);
  });

  it("reports connected nodes by channel and the scheduler's lag", async () => {
    const before = await scrape();
    assert.equal(sample(before, "openssm_connected_nodes", { channel: "mgs" }), 0);
    const node = await registerFakeNode(server);
    const channel = await node.openControlChannel();
    try {
      await eventually(async () => sample(await scrape(), "openssm_connected_nodes", { channel: "mgs" }) === 1);
    } finally {
      channel.ws.close();
    }
    await eventually(async () => sample(await scrape(), "openssm_connected_nodes", { channel: "mgs" }) === 0);
    await server.advanceClock(1);
    const lag = Number(/^openssm_scheduler_lag_seconds (\S+)$/m.exec(await scrape())?.[1]);
    assert.ok(lag >= 0 && lag < 60, `scheduler lag ${lag}`);
  });

  it("answers liveness and readiness, unauthenticated, beside /health", async () => {
    for (const path of ["/health/live", "/health/ready", "/health"]) {
      const res = await fetch(new URL(path, server.endpoint));
      assert.equal(res.status, 200, path);
    }
    const ready = (await (await fetch(new URL("/health/ready", server.endpoint))).json()) as { status: string; engine: string };
    assert.deepEqual(ready, { status: "ready", engine: server.engine });
  });
});

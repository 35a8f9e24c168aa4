import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import https from "node:https";
import { after, before, describe, it } from "node:test";
import { GetParametersByPathCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";
import { rawRequest, upgradeRequest } from "../harness/raw-http.js";

/**
 * Malformed websocket upgrades, unauthenticated, on both listeners: each is refused on its own
 * connection (an HTTP 4xx, or Node's parser closing it), and the server keeps answering.
 */
const ROUTES = ["/v1/control-channel/", "/v1/data-channel/"];

interface Case {
  label: string;
  request: string | Buffer;
  /** the statuses that count as a refusal of this request; 0: the server may also just close */
  expect: number[];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const route of ROUTES) {
    // The data channel's credentials come in the first frame (a token), so a decodable id with a valid key is upgraded.
    const opened = route === "/v1/data-channel/" ? [101] : [];
    out.push(
      { label: `${route}%ff`, request: upgradeRequest(`${route}%ff`), expect: [400] },
      { label: `${route}%E0%A4%A`, request: upgradeRequest(`${route}%E0%A4%A?role=subscribe&stream=input`), expect: [400] },
      { label: `${route}%`, request: upgradeRequest(`${route}%`), expect: [400] },
      { label: `${route}a%zz/b`, request: upgradeRequest(`${route}a%zz/b`), expect: [400] },
      { label: `${route} with no id`, request: upgradeRequest(route), expect: [403, 404] },
      { label: `${route} without Sec-WebSocket-Key`, request: upgradeRequest(`${route}mi-0123456789abcdef0`, {}, null), expect: [400, 403] },
      { label: `${route} with an invalid Sec-WebSocket-Key`, request: upgradeRequest(`${route}mi-0123456789abcdef0`, {}, "short"), expect: [400, 403] },
      {
        label: `${route} with Sec-WebSocket-Version 99`,
        request: upgradeRequest(`${route}x`, { "Sec-WebSocket-Version": "99" }).replace("Sec-WebSocket-Version: 13\r\n", ""),
        expect: [400, 403],
      },
      { label: `${route} POST upgrade`, request: upgradeRequest(`${route}x`).replace(/^GET/, "POST"), expect: [400, 403, 405] },
      {
        label: `${route} with a garbage Authorization`,
        request: upgradeRequest(`${route}mi-0123456789abcdef0`, { Authorization: "AWS4-HMAC-SHA256 \u00ff\u0000garbage" }),
        expect: [0, 400, 403, ...opened],
      },
      { label: `${route} with a 12 KB id`, request: upgradeRequest(`${route}${"%41".repeat(4000)}`), expect: [400, 403, 431, ...opened] },
      { label: `${route} with oversized headers`, request: upgradeRequest(`${route}x`, { "X-Big": "a".repeat(70_000) }), expect: [0, 431] },
      { label: `${route} with a NUL in the id`, request: upgradeRequest(`${route}%00`), expect: [0, 101, 400, 403, 404] },
    );
  }
  out.push(
    { label: "an unknown path", request: upgradeRequest("/v1/nothing-here/x"), expect: [404] },
    { label: "an unknown path that does not decode", request: upgradeRequest("/%ff%fe"), expect: [400, 404] },
    { label: "the API path", request: upgradeRequest("/"), expect: [404] },
    { label: "garbage bytes", request: Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a]), expect: [0, 400] },
    { label: "a request line with no version", request: "GET /v1/data-channel/%ff\r\nUpgrade: websocket\r\n\r\n", expect: [0, 400] },
    { label: "a header without a colon", request: `${upgradeRequest("/v1/data-channel/x").slice(0, -2)}no colon here\r\n\r\n`, expect: [0, 400] },
  );
  return out;
}

describe("websocket upgrades that are malformed never end the server", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.destroy());

  async function assertServing(): Promise<void> {
    assert.equal(server.process.exitCode, null, `the server exited:\n${server.output().slice(-3000)}`);
    assert.equal((await fetch(`${server.endpoint}/health`)).status, 200);
    const tlsHealth = await new Promise<number>((resolve, reject) => {
      https
        .get(`${server.tlsEndpoint}/health`, { ca: readFileSync(server.caFile) }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on("error", reject);
    });
    assert.equal(tlsHealth, 200);
    const r = await server.ssm().send(new GetParametersByPathCommand({ Path: "/" }));
    assert.deepEqual(r.Parameters, []);
  }

  for (const listener of ["plain", "tls"] as const) {
    it(`refuses each malformed upgrade on the ${listener} listener, alone, and keeps answering`, async () => {
      const problems: string[] = [];
      for (const c of cases()) {
        const answer = await rawRequest(server, c.request, { tls: listener === "tls", untilHead: true });
        if (!c.expect.includes(answer.status)) problems.push(`${c.label}: answered ${answer.status} ${answer.text.slice(0, 200)}`);
        if (answer.status >= 500) problems.push(`${c.label}: a server error`);
        assert.equal(server.process.exitCode, null, `the server exited after ${c.label}:\n${server.output().slice(-3000)}`);
      }
      assert.deepEqual(problems, []);
      await assertServing();
    });
  }

  it("names what is wrong with a path that does not decode", async () => {
    const answer = await rawRequest(server, upgradeRequest("/v1/data-channel/%ff"), { untilHead: false, waitMs: 5_000 });
    assert.equal(answer.status, 400);
    assert.match(answer.text, /x-amzn-errortype: BadRequest/i);
    assert.match(answer.text, /not valid percent-encoded UTF-8/);
  });

  it("logs the refusals and no crash", async () => {
    assert.match(server.output(), /refused a websocket upgrade whose path does not decode/);
    assert.doesNotMatch(server.output(), /URIError: URI malformed\n\s+at/);
    assert.doesNotMatch(server.output(), /unhandled/i);
    await assertServing();
  });
});

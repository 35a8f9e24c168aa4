import assert from "node:assert/strict";
import { test } from "node:test";
import { eventually } from "../harness/clients.js";
import {
  type DecodedAgentMessage,
  decodeAgentMessage,
  encodeAgentMessage,
  MessageType,
  PayloadType,
  compareVersions,
  SmuxSession,
  type SmuxStream,
  StreamChannel,
} from "@openssm/protocol";
import { StreamOrder } from "../../packages/server/src/capabilities/sessions/stream-order.js";

/** Two stream channels (agent and client) joined by a wire that can drop or reorder frames. */
function pair(opts: { drop?: (frame: DecodedAgentMessage, from: "agent" | "client") => boolean } = {}) {
  const received = { agent: [] as DecodedAgentMessage[], client: [] as DecodedAgentMessage[] };
  const peers: Partial<Record<"agent" | "client", StreamChannel>> = {};
  const wire = (from: "agent" | "client") => (frame: Buffer) => {
    const msg = decodeAgentMessage(frame);
    if (opts.drop?.(msg, from)) return true;
    setImmediate(() => peers[from === "agent" ? "client" : "agent"]?.receive(frame));
    return true;
  };
  const keep = (list: DecodedAgentMessage[]) => (m: DecodedAgentMessage) => {
    list.push(m);
    return true;
  };
  const agent = new StreamChannel({ role: "agent", send: wire("agent"), onData: keep(received.agent) });
  const client = new StreamChannel({ role: "client", send: wire("client"), onData: keep(received.client) });
  peers.agent = agent;
  peers.client = client;
  const close = () => {
    agent.close();
    client.close();
  };
  return { agent, client, received, close };
}

test("stream channel: numbers, acknowledges and delivers in order both ways", async () => {
  const p = pair();
  for (let i = 0; i < 50; i++) p.agent.sendData(PayloadType.Output, `out-${i}`);
  p.client.sendData(PayloadType.Output, "keys");
  await p.agent.drained(2_000);
  await p.client.drained(2_000);
  assert.deepEqual(
    p.received.client.map((m) => m.payload.toString()),
    Array.from({ length: 50 }, (_, i) => `out-${i}`),
  );
  assert.deepEqual(
    p.received.client.map((m) => m.sequenceNumber),
    Array.from({ length: 50 }, (_, i) => i),
  );
  assert.equal(p.received.client[0].messageType, MessageType.OutputStreamData);
  assert.equal(p.received.client[0].flags, 1, "the agent marks its first message SYN");
  assert.equal(p.received.agent[0].messageType, MessageType.InputStreamData);
  assert.equal(p.agent.unacknowledged, 0);
  p.close();
});

test("stream channel: resends what was lost, delivers once and in order", async () => {
  const dropped = new Set<number>();
  const p = pair({
    drop: (m, from) => {
      // lose the first transmission of every third message from the agent
      if (from === "agent" && m.messageType === MessageType.OutputStreamData && m.sequenceNumber % 3 === 0 && !dropped.has(m.sequenceNumber)) {
        dropped.add(m.sequenceNumber);
        return true;
      }
      return false;
    },
  });
  for (let i = 0; i < 20; i++) p.agent.sendData(PayloadType.Output, `m${i}`);
  await p.agent.drained(5_000);
  assert.equal(p.agent.unacknowledged, 0);
  assert.deepEqual(
    p.received.client.map((m) => m.payload.toString()),
    Array.from({ length: 20 }, (_, i) => `m${i}`),
  );
  p.close();
});

test("stream channel: a message the handler cannot take yet is offered again", async () => {
  let ready = false;
  const got: string[] = [];
  const ref: { client?: StreamChannel; agent?: StreamChannel } = {};
  const relay = (to: () => StreamChannel | undefined) => (f: Buffer) => {
    setImmediate(() => to()?.receive(f));
    return true;
  };
  const agent = new StreamChannel({ role: "agent", send: relay(() => ref.client), onData: () => true });
  ref.agent = agent;
  const client = new StreamChannel({
    role: "client",
    send: relay(() => ref.agent),
    onData: (m) => {
      if (!ready) return false;
      got.push(m.payload.toString());
      return true;
    },
  });
  ref.client = client;
  agent.sendData(PayloadType.Output, "a");
  agent.sendData(PayloadType.Output, "b");
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(got, []);
  ready = true;
  await agent.drained(3_000);
  assert.deepEqual(got, ["a", "b"]);
  agent.close();
  client.close();
});

test("stream order: resends and reordering are seen once, in order; a resumed relay starts where the stream is", () => {
  const seen: number[] = [];
  const order = new StreamOrder();
  const msg = (seq: number) => decodeAgentMessage(encodeAgentMessage({ messageType: MessageType.OutputStreamData, sequenceNumber: seq, payload: `${seq}` }));
  for (const seq of [0, 2, 1, 1, 0, 3, 5, 4]) order.accept(msg(seq), (m) => seen.push(m.sequenceNumber));
  assert.deepEqual(seen, [0, 1, 2, 3, 4, 5]);
  const resumed: number[] = [];
  const later = new StreamOrder(true);
  for (const seq of [40, 41, 43, 42]) later.accept(msg(seq), (m) => resumed.push(m.sequenceNumber));
  assert.deepEqual(resumed, [40, 41, 42, 43]);
});

test("smux: streams opened by the client carry data both ways and close", async () => {
  const accepted: SmuxStream[] = [];
  const ref: { server?: SmuxSession } = {};
  const client = new SmuxSession({ client: true, write: (b) => setImmediate(() => ref.server?.feed(b)) });
  const server = new SmuxSession({ client: false, write: (b) => setImmediate(() => client.feed(b)), onStream: (s) => accepted.push(s) });
  ref.server = server;
  const a = client.openStream();
  const b = client.openStream();
  assert.deepEqual([a.id, b.id], [3, 5], "client stream ids are odd, from 3");
  const big = Buffer.alloc(100_000, 7);
  a.write(big);
  b.write("to b");
  const collect = (s: SmuxStream) =>
    new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      s.on("data", (d: Buffer) => parts.push(d));
      s.on("end", () => resolve(Buffer.concat(parts)));
    });
  await eventually(() => accepted.length >= 2, { what: "two accepted streams", intervalMs: 5 });
  const [sa, sb] = accepted;
  const gotA = collect(sa);
  const gotB = collect(sb);
  a.end();
  b.end();
  assert.ok((await gotA).equals(big));
  assert.equal((await gotB).toString(), "to b");
  const back = collect(a);
  sa.end("reply");
  assert.equal((await back).toString(), "reply");
  client.close();
  server.close();
});

test("smux: frames split across carrier messages are reassembled", async () => {
  const got: string[] = [];
  const bytes: Buffer[] = [];
  const client = new SmuxSession({ client: true, write: (b) => bytes.push(b) });
  const server = new SmuxSession({ client: false, write: () => {}, onStream: (s) => s.on("data", (d: Buffer) => got.push(d.toString())) });
  const s = client.openStream();
  s.write("hello smux");
  const all = Buffer.concat(bytes);
  for (let i = 0; i < all.length; i += 3) server.feed(all.subarray(i, i + 3));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(got.join(""), "hello smux");
  client.close();
  server.close();
});

test("versions compare numerically", () => {
  assert.ok(compareVersions("3.3.987.0", "3.0.196.0") > 0);
  assert.ok(compareVersions("1.2.677.0", "1.1.70") > 0);
  assert.ok(compareVersions("1.1.9", "1.1.70") < 0);
  assert.equal(compareVersions("1.2", "1.2.0.0"), 0);
});

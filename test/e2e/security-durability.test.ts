import assert from "node:assert/strict";
import { randomBytes, randomInt } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { GetParametersCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { startServer, type TestServer } from "../harness/index.js";

/** An acknowledged write is durable: kill -9 at a random moment loses nothing that was answered 200. */
describe("durability: PutParameter survives SIGKILL", () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(async () => server?.destroy());

  it("every acknowledged PutParameter is readable after a kill -9 and a restart", async (t) => {
    const total = 300;
    const killAfter = randomInt(60, 240);
    t.diagnostic(`killing the server after ${killAfter} acknowledged writes of ${total}`);
    const run = randomBytes(4).toString("hex");
    const ssm = server.ssm();
    const acked = new Map<string, string>();
    let next = 0;
    let killed: Promise<void> | undefined;

    const put = async (i: number) => {
      const name = `/durable/${run}/p${i}`;
      const value = `value-${i}-${randomBytes(6).toString("hex")}`;
      try {
        // SecureString for a third of them, so the KMS path is covered too.
        await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: i % 3 === 0 ? "SecureString" : "String" }));
        acked.set(name, value);
        if (acked.size >= killAfter && !killed) killed = server.kill();
        return true;
      } catch {
        return false; // unanswered, or refused once the server is gone: not acknowledged
      }
    };
    // A third of the writes one after another, then the rest from four writers in parallel.
    const writer = async (until: number) => {
      while (next < until && !killed) if (!(await put(next++))) return;
    };
    await writer(total / 3);
    await Promise.all([writer(total), writer(total), writer(total), writer(total)]);
    if (!killed) killed = server.kill();
    await killed;
    t.diagnostic(`${acked.size} writes were acknowledged before the kill`);
    assert.ok(acked.size >= killAfter);

    await server.restart();
    const names = [...acked.keys()];
    const missing: string[] = [];
    for (let i = 0; i < names.length; i += 10) {
      const batch = names.slice(i, i + 10);
      const r = await server.ssm().send(new GetParametersCommand({ Names: batch, WithDecryption: true }));
      const got = new Map((r.Parameters ?? []).map((p) => [p.Name, p.Value]));
      for (const n of batch) if (got.get(n) !== acked.get(n)) missing.push(`${n}: expected ${acked.get(n)}, got ${got.get(n)}`);
    }
    assert.deepEqual(missing, []);
  });
});

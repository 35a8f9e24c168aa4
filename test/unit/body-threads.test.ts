import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { BodyThreads } from "../../packages/server/src/http/body-threads.js";

const module = new URL("../fixtures/body-threads/preparers.ts", import.meta.url).href;
const job = (body: string, prepare: string) => ({ model: "ssm" as const, operation: "PutParameter", module, export: prepare, body: Buffer.from(body) });
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/**
 * Body threads hash, parse, validate and prepare a body as the dispatcher would. Whatever goes wrong on
 * a thread is answered, never lost: a refusal, a failure (the dispatcher then handles the body itself),
 * or nothing at all when the thread died, and the next body gets a new thread.
 */
describe("body threads", () => {
  it("prepares a valid body and gives its SHA-256", async () => {
    const threads = new BodyThreads();
    const body = JSON.stringify({ Name: "/a", Value: "v", Type: "String" });
    const r = await threads.run(job(body, "countKeys"));
    assert.deepEqual(r, { id: 1, sha256: sha256(body), input: { Name: "/a", Value: "v", Type: "String", keys: 3 } });
  });

  it("refuses what the model refuses, as the dispatcher would", async () => {
    const threads = new BodyThreads();
    const bad = await threads.run(job("{not json", "countKeys"));
    assert.ok(bad && "refused" in bad);
    assert.equal(bad.refused.code, "SerializationException");
    assert.equal(bad.sha256, sha256("{not json"));
    const invalid = await threads.run(job(JSON.stringify({ Name: "/a" }), "countKeys"));
    assert.ok(invalid && "refused" in invalid);
    assert.equal(invalid.refused.code, "ValidationException");
  });

  it("reports a preparation that fails, or that its module lacks", async () => {
    const threads = new BodyThreads();
    const body = JSON.stringify({ Name: "/a", Value: "v" });
    const failed = await threads.run(job(body, "throws"));
    assert.ok(failed && "failed" in failed && /this preparation fails/.test(failed.failed));
    const missing = await threads.run(job(body, "nowhere"));
    assert.ok(missing && "failed" in missing && /exports no function nowhere/.test(missing.failed));
  });

  it("answers nothing for a thread that died mid-job, and does not start another at once", async () => {
    const threads = new BodyThreads();
    const body = JSON.stringify({ Name: "/a", Value: "v" });
    assert.equal(await threads.run(job(body, "exits")), undefined);
    // within the restart pause the caller handles bodies itself
    assert.equal(await threads.run(job(body, "countKeys")), undefined);
  });
});

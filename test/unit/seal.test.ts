import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { newDataKey, openDataKey, seal, secureRandom, unseal } from "../../packages/server/src/crypto/seal.js";

describe("sealing (AES-256-GCM) and its random bytes", () => {
  it("hands out every random byte once: no two IVs or keys alike across pool refills, and none all zero", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const b = secureRandom(i % 3 === 0 ? 32 : 12);
      assert.equal(b.length, i % 3 === 0 ? 32 : 12);
      assert.ok(b.some((x) => x !== 0));
      const hex = b.toString("hex");
      assert.ok(!seen.has(hex), "a random value came out twice");
      seen.add(hex);
    }
    assert.equal(secureRandom(10_000).length, 10_000);
  });

  it("a value handed out does not change when the pool is drawn again", () => {
    const first = secureRandom(12);
    const copy = Buffer.from(first);
    for (let i = 0; i < 1000; i++) secureRandom(12);
    assert.deepEqual(first, copy);
  });

  it("seals and opens, binds the context, and never repeats an IV", () => {
    const key = secureRandom(32);
    const a = seal(key, Buffer.from("output"), "cmd/mi-1");
    const b = seal(key, Buffer.from("output"), "cmd/mi-1");
    assert.notDeepEqual(a.subarray(1, 13), b.subarray(1, 13));
    assert.equal(unseal(key, a, "cmd/mi-1").toString(), "output");
    assert.throws(() => unseal(key, a, "cmd/mi-2"));
    const master = secureRandom(32);
    const dataKey = newDataKey(master, "x");
    assert.equal(openDataKey(master, dataKey, "x").length, 32);
  });
});

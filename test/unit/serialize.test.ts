import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toJson } from "../../packages/server/src/http/serialize.js";

describe("JSON 1.1 response bodies", () => {
  it("writes timestamps as epoch seconds and bytes as base64, at any depth, leaving the input as it was", () => {
    const when = new Date("2026-12-03T10:00:00.500Z");
    const input = {
      Parameter: { Name: "/a", Version: 3, LastModifiedDate: when, Selector: undefined },
      Blobs: [Buffer.from("hi"), new Uint8Array([1, 2, 3]).subarray(1)],
      Nested: [{ At: when, List: [when, "x", 1, null, true] }],
      Serialized: JSON.parse(JSON.stringify({ b: Buffer.from("ok") })).b,
    };
    assert.deepEqual(JSON.parse(toJson(input)), {
      Parameter: { Name: "/a", Version: 3, LastModifiedDate: 1796292000.5 },
      Blobs: ["aGk=", "AgM="],
      Nested: [{ At: 1796292000.5, List: [1796292000.5, "x", 1, null, true] }],
      Serialized: "b2s=",
    });
    assert.ok(input.Parameter.LastModifiedDate instanceof Date, "the handler's output is not changed");
  });

  it("keeps plain values as JSON.stringify writes them", () => {
    const plain = { a: [1, "two", { three: 3 }], b: null, c: "\u2028" };
    assert.equal(toJson(plain), JSON.stringify(plain));
    assert.equal(toJson(undefined), undefined);
  });
});

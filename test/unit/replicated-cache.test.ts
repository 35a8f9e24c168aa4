import assert from "node:assert/strict";
import { test } from "node:test";
import { ReplicatedCache } from "../../packages/server/src/cluster/replicated-cache.js";
import type { ServerSlot, Services } from "../../packages/server/src/runtime.js";

/** Just enough of a server for the cache: SQLite, one process (no API workers). */
function fakeServices(apiWorkers = 0): Services {
  const slots = new Map<string, unknown>();
  const services = {
    engine: "sqlite",
    config: { apiWorkers },
    log: { warn() {}, info() {}, debug() {}, error() {} },
    own<T>(slot: ServerSlot<T>): T {
      if (!slots.has(slot.name)) slots.set(slot.name, slot.create(services as unknown as Services));
      return slots.get(slot.name) as T;
    },
  };
  return services as unknown as Services;
}

const deferred = <T>() => {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

test("a cached value is served until its base key is invalidated; variants are kept apart", async () => {
  const cache = new ReplicatedCache<string>(fakeServices(), "t");
  let loads = 0;
  const load = (v: string) => async () => {
    loads++;
    return v;
  };
  assert.equal(await cache.get("p", "", load("v1")), "v1");
  assert.equal(await cache.get("p", "", load("other")), "v1");
  assert.equal(await cache.get("p", "label:x", load("labelled")), "labelled");
  assert.equal(loads, 2);
  await cache.change("p", async () => {});
  assert.equal(await cache.get("p", "", load("v2")), "v2");
  assert.equal(await cache.get("p", "label:x", load("labelled-2")), "labelled-2");
  assert.equal(loads, 4);
});

test("a load in flight when its key is invalidated does not store the old value", async () => {
  const cache = new ReplicatedCache<string>(fakeServices(), "t");
  const slow = deferred<string>();
  const inFlight = cache.get("p", "", () => slow.promise);
  await cache.change("p", async () => {}); // a write committed while the read was under way
  slow.resolve("before-the-write");
  assert.equal(await inFlight, "before-the-write"); // that caller gets what it read...
  assert.equal(await cache.get("p", "", async () => "after-the-write"), "after-the-write"); // ...but nobody after it
  assert.equal(await cache.get("p", "", async () => "not-read"), "after-the-write");
});

test("an invalidation of another key, or clear(), is handled as each should be", async () => {
  const cache = new ReplicatedCache<string>(fakeServices(), "t");
  const slow = deferred<string>();
  const inFlight = cache.get("p", "", () => slow.promise);
  await cache.change("q", async () => {}); // another parameter: the load may still store
  slow.resolve("p1");
  await inFlight;
  assert.equal(await cache.get("p", "", async () => "not-read"), "p1");
  const slow2 = deferred<string>();
  const inFlight2 = cache.get("r", "", () => slow2.promise);
  cache.clear();
  slow2.resolve("r-old");
  await inFlight2;
  assert.equal(await cache.get("r", "", async () => "r-new"), "r-new");
  assert.equal(await cache.get("p", "", async () => "p-reloaded"), "p-reloaded");
});

test("nothing is cached while API worker processes answer the reads (they would not hear of the writes)", async () => {
  const cache = new ReplicatedCache<string>(fakeServices(2), "t");
  let loads = 0;
  for (let i = 0; i < 3; i++)
    await cache.get("p", "", async () => {
      loads++;
      return "v";
    });
  assert.equal(loads, 3);
});

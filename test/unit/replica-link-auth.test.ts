import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { LINK_HEADERS, signLink, verifyLink } from "../../packages/server/src/cluster/link-auth.js";
import type { ServerSlot, Services } from "../../packages/server/src/runtime.js";

/** Just what the link's signing reads: the master key and per-server state. */
function replica(masterKey: Buffer): Services {
  const owned = new Map<ServerSlot<unknown>, unknown>();
  const services = {
    masterKey,
    own<T>(slot: ServerSlot<T>): T {
      if (!owned.has(slot)) owned.set(slot, slot.create(services as unknown as Services));
      return owned.get(slot) as T;
    },
  };
  return services as unknown as Services;
}

const PATH = "/_openssm/replica-link/data-channel/alice-0123456789abcdef0?side=client&client-id=c1";

describe("replica links: signed with a key derived from the master key", () => {
  const key = randomBytes(32);

  it("accepts a request another replica of the cluster signed, naming the caller", () => {
    const headers = signLink(replica(key), "replica-a", PATH);
    assert.deepEqual(verifyLink(replica(key), headers, PATH), { replicaId: "replica-a" });
  });

  it("refuses a replica holding another master key", () => {
    const headers = signLink(replica(randomBytes(32)), "replica-a", PATH);
    const v = verifyLink(replica(key), headers, PATH);
    assert.ok("refused" in v && /master key/.test(v.refused));
  });

  it("refuses a signature moved to another path, or another caller", () => {
    const headers = signLink(replica(key), "replica-a", PATH);
    assert.ok("refused" in verifyLink(replica(key), headers, PATH.replace("side=client", "side=agent")));
    assert.ok("refused" in verifyLink(replica(key), { ...headers, [LINK_HEADERS.replica]: "replica-b" }, PATH));
  });

  it("refuses a request replayed, or older than 30 s", () => {
    const receiver = replica(key);
    const headers = signLink(replica(key), "replica-a", PATH);
    assert.ok("replicaId" in verifyLink(receiver, headers, PATH));
    const again = verifyLink(receiver, headers, PATH);
    assert.ok("refused" in again && /replayed/.test(again.refused));
    const old = { ...signLink(replica(key), "replica-a", PATH), [LINK_HEADERS.time]: String(Date.now() - 31_000) };
    const stale = verifyLink(receiver, old, PATH);
    assert.ok("refused" in stale && /too old/.test(stale.refused));
  });

  it("refuses a request with no signature", () => {
    assert.ok("refused" in verifyLink(replica(key), {}, PATH));
  });
});

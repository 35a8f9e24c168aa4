import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ServerSlot, Services } from "../runtime.js";

/**
 * Authentication of the links between replicas: every replica holds the master key, so each derives
 * the same link key from it (HMAC, with a label no other use of the key shares) and signs what it
 * asks of another replica with it. The signature covers the caller, the path, the time and a nonce;
 * a request older than LINK_SKEW_MS, or seen before, is refused.
 */
export const LINK_HEADERS = { replica: "x-openssm-replica", time: "x-openssm-link-time", nonce: "x-openssm-link-nonce", signature: "x-openssm-link-signature" };
const LINK_SKEW_MS = 30_000;
const LABEL = "openssm/replica-link/v1";

function linkKey(masterKey: Buffer): Buffer {
  return createHmac("sha256", masterKey).update(LABEL).digest();
}

function mac(key: Buffer, replicaId: string, path: string, time: string, nonce: string): Buffer {
  return createHmac("sha256", key).update(`${replicaId}\n${path}\n${time}\n${nonce}`).digest();
}

/** The headers that let another replica of this cluster take the request for `path` (with its query). */
export function signLink(services: Services, replicaId: string, path: string): Record<string, string> {
  const time = String(Date.now());
  const nonce = randomBytes(16).toString("hex");
  return {
    [LINK_HEADERS.replica]: replicaId,
    [LINK_HEADERS.time]: time,
    [LINK_HEADERS.nonce]: nonce,
    [LINK_HEADERS.signature]: mac(linkKey(services.masterKey), replicaId, path, time, nonce).toString("hex"),
  };
}

/** Nonces seen within the skew window (a replayed link request is refused). */
const SEEN: ServerSlot<Map<string, number>> = { name: "cluster.link-nonces", create: () => new Map() };

/** The calling replica's id when the request is signed by a replica of this cluster; otherwise why not. */
export function verifyLink(services: Services, headers: IncomingHttpHeaders, path: string): { replicaId: string } | { refused: string } {
  const h = (name: string) => {
    const v = headers[name];
    return typeof v === "string" ? v : "";
  };
  const replicaId = h(LINK_HEADERS.replica);
  const time = h(LINK_HEADERS.time);
  const nonce = h(LINK_HEADERS.nonce);
  const signature = h(LINK_HEADERS.signature);
  if (!replicaId || !/^\d{1,15}$/.test(time) || !/^[0-9a-f]{32}$/.test(nonce) || !/^[0-9a-f]{64}$/.test(signature)) {
    return { refused: "the request is not signed by a replica of this cluster" };
  }
  const now = Date.now();
  if (Math.abs(now - Number(time)) > LINK_SKEW_MS) return { refused: "the link request is too old, or the replicas' clocks differ by more than 30 s" };
  const expected = mac(linkKey(services.masterKey), replicaId, path, time, nonce);
  if (!timingSafeEqual(expected, Buffer.from(signature, "hex")))
    return { refused: "the link signature does not match (is the master key the same on every replica?)" };
  const seen = services.own(SEEN);
  if (seen.has(nonce)) return { refused: "the link request was replayed" };
  seen.set(nonce, now);
  if (seen.size > 1_000) for (const [n, at] of seen) if (now - at > 2 * LINK_SKEW_MS) seen.delete(n);
  return { replicaId };
}

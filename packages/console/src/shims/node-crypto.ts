// What @openssm/protocol/browser takes from node:crypto, for the browser bundle (build.mjs aliases
// node:crypto here): sha256 for frame digests and random UUIDs for message ids.
import { Buffer } from "./buffer";
import { sha256 } from "./sha256";

export function createHash(algorithm: string) {
  if (algorithm !== "sha256") throw new Error(`the console's crypto has sha256 only, not ${algorithm}`);
  const parts: Uint8Array[] = [];
  const hash = {
    update(data: Uint8Array | string) {
      parts.push(typeof data === "string" ? Buffer.from(data, "utf8") : data);
      return hash;
    },
    digest() {
      return Buffer.from(sha256(Buffer.concat(parts)));
    },
  };
  return hash;
}

/** crypto.randomUUID exists only in secure contexts (https, localhost); getRandomValues everywhere. */
export function randomUUID(): string {
  if (typeof globalThis.crypto.randomUUID === "function" && globalThis.isSecureContext) return globalThis.crypto.randomUUID();
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

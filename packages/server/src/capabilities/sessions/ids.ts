import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A session id as AWS makes them: `<principal name>-<17 hex digits>` (at most 96 characters). */
export function newSessionId(principalName: string): string {
  const suffix = randomBytes(9).toString("hex").slice(0, 17);
  return `${principalName.slice(0, 96 - 18)}-${suffix}`;
}

/** A single-use data-channel token (opaque, at most 300 characters as the model allows). */
export const newToken = () => randomBytes(48).toString("base64url");

export const hashToken = (token: string) => createHash("sha256").update(`openssm-session-token:${token}`).digest("hex");

export function tokenMatches(token: string, storedHash: string | null): boolean {
  if (!storedHash) return false;
  const a = Buffer.from(hashToken(token), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** How long a client or agent token may wait before it is used. */
export const TOKEN_LIFETIME_MS = 3 * 60 * 1000;

import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** How long a CreateControlChannel token may be used to open the websocket. */
export const TOKEN_LIFETIME_MS = 10 * 60 * 1000;

export interface ChannelTokenClaims {
  instanceId: string;
  accountId: string;
  region: string;
  expiresAt: number;
}

const keyOf = (masterKey: Buffer) => createHmac("sha256", masterKey).update("openssm control-channel token v1").digest();

/**
 * A control-channel token: the claims and an HMAC under a key derived from the master key, so any
 * replica can check a token another replica issued, and nothing about it is stored.
 */
export function issueChannelToken(masterKey: Buffer, claims: ChannelTokenClaims): string {
  const body = Buffer.from(JSON.stringify({ ...claims, n: randomBytes(8).toString("hex") })).toString("base64url");
  const mac = createHmac("sha256", keyOf(masterKey)).update(body).digest("base64url");
  return `${body}.${mac}`;
}

/** The token's claims when it is genuine and unexpired for this node, else a reason it is not. */
export function checkChannelToken(masterKey: Buffer, token: string, instanceId: string, now: number): ChannelTokenClaims | string {
  const dot = token.indexOf(".");
  if (dot < 0) return "the token is malformed";
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = createHmac("sha256", keyOf(masterKey)).update(body).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return "the token was not issued by this server";
  let claims: ChannelTokenClaims;
  try {
    claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as ChannelTokenClaims;
  } catch {
    return "the token is malformed";
  }
  if (claims.instanceId !== instanceId) return `the token belongs to ${claims.instanceId}, not ${instanceId}`;
  if (claims.expiresAt < now) return "the token expired; call CreateControlChannel again";
  return claims;
}

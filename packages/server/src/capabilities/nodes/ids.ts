import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";

const CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A managed node's id, as AWS's: `mi-` + 17 lower-case hex digits. */
export const newInstanceId = () => `mi-${randomBytes(9).toString("hex").slice(0, 17)}`;

export { INSTANCE_ID } from "../../agents/index.js";
export const ANY_INSTANCE_ID = /^(mi-\w{17}|i-(\w{8}|\w{17}))$/;

/** A 20-character activation code (about 119 random bits), shown to the caller once. */
export function newActivationCode(): string {
  let code = "";
  for (let i = 0; i < 20; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

export const hashActivationCode = (code: string) => createHash("sha256").update(`openssm-activation:${code}`).digest("hex");

/** Constant-time comparison of a presented code with the stored hash. */
export function activationCodeMatches(code: string, storedHash: string): boolean {
  const a = Buffer.from(hashActivationCode(code), "hex");
  const b = Buffer.from(storedHash, "hex");
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A session token for temporary credentials: opaque, long, random (only its hash is stored). */
export const newSessionToken = () => randomBytes(96).toString("base64");

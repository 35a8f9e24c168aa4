import { randomBytes, randomInt } from "node:crypto";

const UPPER_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

export function randomUpper(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (let i = 0; i < length; i++) out += UPPER_ALNUM[bytes[i] % UPPER_ALNUM.length];
  return out;
}

export function randomAccountId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 11; i++) id += String(randomInt(0, 10));
  return id;
}

/** Long-term keys start AKIA, temporary ones ASIA, as AWS's do. */
export const newAccessKeyId = (temporary = false) => (temporary ? "ASIA" : "AKIA") + randomUpper(16);
export const newSecretAccessKey = () => randomBytes(30).toString("base64").replace(/[+/=]/g, "").slice(0, 40).padEnd(40, "x");
export const newPrincipalId = (kind: "user" | "role" | "node") => (kind === "user" ? "AIDA" : "AROA") + randomUpper(17);

import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The server's master key (32 bytes): from OPENSSM_MASTER_KEY (base64 or 64 hex digits),
 * otherwise generated once into <data dir>/master.key with mode 0600.
 * Every KMS key and every access-key secret is sealed under it.
 */
export function loadMasterKey(dataDir: string, configured?: string): Buffer {
  if (configured) return parseKey(configured, "OPENSSM_MASTER_KEY");
  const path = join(dataDir, "master.key");
  if (existsSync(path)) return parseKey(readFileSync(path, "utf8").trim(), path);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  return key;
}

function parseKey(text: string, source: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, "hex") : Buffer.from(text, "base64");
  if (key.length !== 32) throw new Error(`${source}: the master key must be 32 bytes, as base64 or 64 hex digits`);
  return key;
}

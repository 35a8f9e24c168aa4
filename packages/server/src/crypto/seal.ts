import { createCipheriv, createDecipheriv, randomFillSync } from "node:crypto";

/**
 * AES-256-GCM sealing: [1 byte version][12 byte IV][16 byte tag][ciphertext].
 * `aad` binds the ciphertext to its context (for example a key id), so a blob cannot be moved.
 */
const VERSION = 1;

/**
 * Random bytes from the operating system's CSPRNG, drawn 4 KiB at a time: sealing a command's output
 * takes a data key and an IV per node, and a system call for each 12 bytes was 3 % of the server's time
 * when a command went to thousands of nodes. Every byte is handed out once (as a copy).
 */
const pool = Buffer.alloc(4096);
let poolUsed = pool.length;

export function secureRandom(n: number): Buffer {
  if (n > pool.length) return randomFillSync(Buffer.alloc(n));
  if (poolUsed + n > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  const out = Buffer.from(pool.subarray(poolUsed, poolUsed + n));
  pool.fill(0, poolUsed, poolUsed + n);
  poolUsed += n;
  return out;
}

export function seal(key: Buffer, plaintext: Buffer, aad?: string): Buffer {
  const iv = secureRandom(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  if (aad) cipher.setAAD(Buffer.from(aad, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function unseal(key: Buffer, sealed: Buffer, aad?: string): Buffer {
  if (sealed.length < 29 || sealed[0] !== VERSION) throw new Error("sealed data is malformed");
  const iv = sealed.subarray(1, 13);
  const tag = sealed.subarray(13, 29);
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  if (aad) decipher.setAAD(Buffer.from(aad, "utf8"));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
}

/**
 * Data keys, for what is sealed piece by piece (session recordings, command output): a fresh 256-bit
 * key sealed under the master key and bound to `aad` (the record it belongs to); store it beside the
 * pieces, and deleting it makes them unreadable.
 */
export function newDataKey(masterKey: Buffer, aad: string): Buffer {
  return seal(masterKey, secureRandom(32), aad);
}

export function openDataKey(masterKey: Buffer, sealedKey: Buffer, aad: string): Buffer {
  return unseal(masterKey, Buffer.from(sealedKey), aad);
}

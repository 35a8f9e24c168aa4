import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * AES-256-GCM sealing: [1 byte version][12 byte IV][16 byte tag][ciphertext].
 * `aad` binds the ciphertext to its context (for example a key id), so a blob cannot be moved.
 */
const VERSION = 1;

export function seal(key: Buffer, plaintext: Buffer, aad?: string): Buffer {
  const iv = randomBytes(12);
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
  return seal(masterKey, randomBytes(32), aad);
}

export function openDataKey(masterKey: Buffer, sealedKey: Buffer, aad: string): Buffer {
  return unseal(masterKey, Buffer.from(sealedKey), aad);
}

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { ApiError } from "../../errors.js";

/**
 * Self-describing ciphertext blobs, so Decrypt needs no KeyId:
 *   [1 byte version][16 bytes key id (UUID)][12 bytes IV][16 bytes GCM tag][ciphertext]
 * AES-256-GCM under the key's material. The AAD is the header (version + key id) followed by the
 * canonical encryption context, so neither the key id nor the context can be changed.
 */
const VERSION = 1;
const HEADER = 17;
const IV = 12;
const TAG = 16;
const MIN = HEADER + IV + TAG;

export type EncryptionContext = Record<string, string>;

function uuidBytes(keyId: string): Buffer {
  return Buffer.from(keyId.replace(/-/g, ""), "hex");
}

function uuidString(b: Buffer): string {
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Sorted [key, value] pairs as JSON: the same context in any order gives the same AAD; none and {} are equal. */
function canonicalContext(context: EncryptionContext | undefined): Buffer {
  const entries = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(entries.length ? JSON.stringify(entries) : "", "utf8");
}

function invalid(): ApiError {
  return new ApiError(
    "InvalidCiphertextException",
    "The ciphertext is not valid: it was not produced by this KMS, was changed, or the encryption context does not match the one used to encrypt it.",
  );
}

export function encryptBlob(keyId: string, material: Buffer, plaintext: Buffer, context?: EncryptionContext): Buffer {
  const header = Buffer.concat([Buffer.from([VERSION]), uuidBytes(keyId)]);
  const iv = randomBytes(IV);
  const cipher = createCipheriv("aes-256-gcm", material, iv);
  cipher.setAAD(Buffer.concat([header, canonicalContext(context)]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([header, iv, cipher.getAuthTag(), body]);
}

/** The key id a blob names, or InvalidCiphertextException when it is not one of ours. */
export function blobKeyId(blob: Buffer): string {
  if (blob.length < MIN || blob[0] !== VERSION) throw invalid();
  return uuidString(blob.subarray(1, HEADER));
}

export function decryptBlob(material: Buffer, blob: Buffer, context?: EncryptionContext): Buffer {
  if (blob.length < MIN || blob[0] !== VERSION) throw invalid();
  try {
    const decipher = createDecipheriv("aes-256-gcm", material, blob.subarray(HEADER, HEADER + IV));
    decipher.setAAD(Buffer.concat([blob.subarray(0, HEADER), canonicalContext(context)]));
    decipher.setAuthTag(blob.subarray(HEADER + IV, MIN));
    return Buffer.concat([decipher.update(blob.subarray(MIN)), decipher.final()]);
  } catch {
    throw invalid();
  }
}

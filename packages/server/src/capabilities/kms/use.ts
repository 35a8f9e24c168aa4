import type { RequestContext } from "../../runtime.js";
import { authorizeKeyUse } from "./access.js";
import { blobKeyId, decryptBlob, type EncryptionContext, encryptBlob } from "./blob.js";
import { assertUsable, findKey, getKey, type KeyRow, keyArn, keyMaterial, keyNotFound } from "./keys.js";

/** Encrypts under a key already authorized for the caller; checks the key's state. */
export function encryptWithKey(ctx: RequestContext, key: KeyRow, plaintext: Buffer, context?: EncryptionContext): Buffer {
  assertUsable(ctx, key);
  const material = keyMaterial(ctx, key);
  try {
    return encryptBlob(key.key_id, material, plaintext, context);
  } finally {
    material.fill(0);
  }
}

/** Decrypts with a key already authorized for the caller; checks the key's state and the blob's integrity. */
export function decryptWithKey(ctx: RequestContext, key: KeyRow, blob: Buffer, context?: EncryptionContext): Buffer {
  assertUsable(ctx, key);
  const material = keyMaterial(ctx, key);
  try {
    return decryptBlob(material, blob, context);
  } finally {
    material.fill(0);
  }
}

/** The key a ciphertext blob was made under (InvalidCiphertextException / NotFoundException otherwise). */
export async function keyOfBlob(ctx: RequestContext, blob: Buffer): Promise<KeyRow> {
  const keyId = blobKeyId(blob);
  const key = await getKey(ctx, keyId);
  if (!key) throw keyNotFound(ctx, keyId);
  return key;
}

/** Encrypts for another capability on the caller's behalf; checks kms:Encrypt for the caller on the key. keyId undefined = alias/aws/ssm. */
export async function encryptFor(
  ctx: RequestContext,
  keyId: string | undefined,
  plaintext: Buffer,
  encryptionContext?: Record<string, string>,
): Promise<{ ciphertext: Buffer; keyArn: string; keyId: string }> {
  const key = await findKey(ctx, keyId);
  await authorizeKeyUse(ctx, "kms:Encrypt", key);
  const ciphertext = encryptWithKey(ctx, key, plaintext, encryptionContext);
  return { ciphertext, keyArn: keyArn(ctx, key.key_id), keyId: key.key_id };
}

/** Decrypts a blob made by encryptFor or Encrypt; checks kms:Decrypt for the caller. */
export async function decryptFor(
  ctx: RequestContext,
  ciphertext: Buffer,
  encryptionContext?: Record<string, string>,
): Promise<{ plaintext: Buffer; keyArn: string }> {
  const key = await keyOfBlob(ctx, ciphertext);
  await authorizeKeyUse(ctx, "kms:Decrypt", key);
  return { plaintext: decryptWithKey(ctx, key, ciphertext, encryptionContext), keyArn: keyArn(ctx, key.key_id) };
}

/** Resolves any key reference (id, ARN, alias, alias ARN) to the key, or throws NotFoundException; undefined = alias/aws/ssm (created if missing). */
export async function resolveKey(ctx: RequestContext, keyId: string | undefined): Promise<{ keyId: string; keyArn: string; enabled: boolean; state: string }> {
  const key = await findKey(ctx, keyId);
  return { keyId: key.key_id, keyArn: keyArn(ctx, key.key_id), enabled: key.key_state === "Enabled", state: key.key_state };
}

import { randomBytes } from "node:crypto";
import type {
  DecryptRequest,
  DecryptResponse,
  EncryptRequest,
  EncryptResponse,
  GenerateDataKeyRequest,
  GenerateDataKeyResponse,
  GenerateDataKeyWithoutPlaintextRequest,
  GenerateDataKeyWithoutPlaintextResponse,
  GenerateRandomRequest,
  GenerateRandomResponse,
} from "@aws-sdk/client-kms";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op, type OperationDef, type RequestContext } from "../../runtime.js";
import { keyRef } from "./access.js";
import { blobKeyId } from "./blob.js";
import { findKey, keyArn } from "./keys.js";
import { blobInput, dryRun } from "./shared.js";
import { decryptWithKey, encryptWithKey, keyOfBlob } from "./use.js";

function checkAlgorithm(ctx: RequestContext, keyId: string, algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== "SYMMETRIC_DEFAULT") {
    throw new ApiError(
      "InvalidKeyUsageException",
      `${keyArn(ctx, keyId)} is a symmetric key: its only encryption algorithm is SYMMETRIC_DEFAULT. Omit EncryptionAlgorithm or pass SYMMETRIC_DEFAULT.`,
    );
  }
}

function refuseRecipient(recipient: unknown): void {
  if (recipient !== undefined) {
    throw new ApiError("UnsupportedOperationException", "openssm does not support Nitro Enclaves attestation (Recipient). Omit Recipient.");
  }
}

async function keyResource(ctx: RequestContext, input: { KeyId?: string }) {
  const key = await findKey(ctx, input.KeyId);
  return [keyRef(ctx, key.key_id)];
}

function ciphertextOf(input: DecryptRequest): Buffer {
  const blob = blobInput(input.CiphertextBlob);
  if (blob.length === 0)
    throw new ApiError("ValidationException", "CiphertextBlob is required: pass the CiphertextBlob that Encrypt or GenerateDataKey returned.");
  return blob;
}

/** The data key length: KeySpec AES_256 / AES_128 or NumberOfBytes, exactly one of them. */
function dataKeyLength(input: GenerateDataKeyRequest): number {
  if (input.KeySpec && input.NumberOfBytes !== undefined) {
    throw new ApiError("ValidationException", "Specify either KeySpec or NumberOfBytes, not both.");
  }
  if (input.KeySpec) return input.KeySpec === "AES_128" ? 16 : 32;
  if (input.NumberOfBytes !== undefined) return input.NumberOfBytes;
  throw new ApiError("ValidationException", "Please specify either number of bytes or key spec (KeySpec AES_256 or AES_128, or NumberOfBytes 1-1024).");
}

async function generate(ctx: RequestContext, input: GenerateDataKeyRequest): Promise<{ plaintext: Buffer; response: GenerateDataKeyResponse }> {
  refuseRecipient(input.Recipient);
  const length = dataKeyLength(input);
  const key = await findKey(ctx, input.KeyId);
  const plaintext = randomBytes(length);
  const ciphertext = encryptWithKey(ctx, key, plaintext, input.EncryptionContext);
  dryRun(input.DryRun);
  return { plaintext, response: { CiphertextBlob: ciphertext, KeyId: keyArn(ctx, key.key_id) } };
}

export const cryptoOperations: OperationDef<any, any>[] = [
  op<EncryptRequest, EncryptResponse>({
    service: "kms",
    name: "Encrypt",
    resources: keyResource,
    async handle(ctx, input) {
      const key = await findKey(ctx, input.KeyId);
      checkAlgorithm(ctx, key.key_id, input.EncryptionAlgorithm);
      const ciphertext = encryptWithKey(ctx, key, blobInput(input.Plaintext), input.EncryptionContext);
      dryRun(input.DryRun);
      return { CiphertextBlob: ciphertext, KeyId: keyArn(ctx, key.key_id), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
    },
  }),
  op<DecryptRequest, DecryptResponse>({
    service: "kms",
    name: "Decrypt",
    // AWS authorizes Decrypt on the key the ciphertext was made under.
    resources: (ctx, input) => [keyRef(ctx, blobKeyId(ciphertextOf(input)))],
    async handle(ctx, input) {
      refuseRecipient(input.Recipient);
      const blob = ciphertextOf(input);
      const key = await keyOfBlob(ctx, blob);
      if (input.KeyId !== undefined && (await findKey(ctx, input.KeyId)).key_id !== key.key_id) {
        throw new ApiError(
          "IncorrectKeyException",
          `The ciphertext was encrypted under ${keyArn(ctx, key.key_id)}, not under the key named by KeyId (${input.KeyId}). Omit KeyId or name that key.`,
        );
      }
      checkAlgorithm(ctx, key.key_id, input.EncryptionAlgorithm);
      const plaintext = decryptWithKey(ctx, key, blob, input.EncryptionContext);
      dryRun(input.DryRun);
      return { KeyId: keyArn(ctx, key.key_id), Plaintext: plaintext, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
    },
  }),
  op<GenerateDataKeyRequest, GenerateDataKeyResponse>({
    service: "kms",
    name: "GenerateDataKey",
    resources: keyResource,
    async handle(ctx, input) {
      const { plaintext, response } = await generate(ctx, input);
      return { ...response, Plaintext: plaintext };
    },
  }),
  op<GenerateDataKeyWithoutPlaintextRequest, GenerateDataKeyWithoutPlaintextResponse>({
    service: "kms",
    name: "GenerateDataKeyWithoutPlaintext",
    resources: keyResource,
    async handle(ctx, input) {
      const { plaintext, response } = await generate(ctx, input);
      plaintext.fill(0);
      return response;
    },
  }),
  op<GenerateRandomRequest, GenerateRandomResponse>({
    service: "kms",
    name: "GenerateRandom",
    resources: ANY_RESOURCE,
    async handle(_ctx, input) {
      refuseRecipient(input.Recipient);
      if (input.CustomKeyStoreId) throw new ApiError("UnsupportedOperationException", "openssm has no custom key stores. Omit CustomKeyStoreId.");
      if (input.NumberOfBytes === undefined) throw new ApiError("ValidationException", "NumberOfBytes is required: pass a number from 1 to 1024.");
      return { Plaintext: randomBytes(input.NumberOfBytes) };
    },
  }),
];

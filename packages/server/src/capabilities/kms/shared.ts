import type { KeyMetadata } from "@aws-sdk/client-kms";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { type KeyRow, keyArn } from "./keys.js";

/** DescribeKey's view of a key. */
export function keyMetadata(ctx: RequestContext, key: KeyRow): KeyMetadata {
  const pending = key.key_state === "PendingDeletion";
  return {
    AWSAccountId: key.account_id,
    KeyId: key.key_id,
    Arn: keyArn(ctx, key.key_id),
    CreationDate: new Date(Number(key.creation_date)),
    Enabled: key.key_state === "Enabled",
    Description: key.description,
    KeyUsage: key.key_usage as KeyMetadata["KeyUsage"],
    KeyState: key.key_state as KeyMetadata["KeyState"],
    DeletionDate: pending && key.deletion_date != null ? new Date(Number(key.deletion_date)) : undefined,
    PendingDeletionWindowInDays: pending && key.pending_window_days != null ? Number(key.pending_window_days) : undefined,
    Origin: "AWS_KMS",
    KeyManager: key.key_manager as KeyMetadata["KeyManager"],
    CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
    KeySpec: "SYMMETRIC_DEFAULT",
    EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
    MultiRegion: false,
  };
}

/** Binary members arrive as base64 text in JSON 1.1 bodies. */
export function blobInput(value: unknown): Buffer {
  if (typeof value === "string") return Buffer.from(value, "base64");
  if (value instanceof Uint8Array) return Buffer.from(value);
  return Buffer.alloc(0);
}

/** Refuses a DryRun after the checks passed, as AWS does. */
export function dryRun(flag: boolean | undefined): void {
  if (flag) throw new ApiError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.");
}

/** AWS managed keys are AWS's to manage: their key policy allows no administrative operations. */
export function refuseManaged(ctx: RequestContext, key: KeyRow, action: string): void {
  if (key.key_manager === "AWS") {
    throw new ApiError(
      "AccessDeniedException",
      `User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${keyArn(ctx, key.key_id)} because it is an AWS managed key; create a customer managed key (CreateKey) to manage it yourself.`,
    );
  }
}

export function invalidState(ctx: RequestContext, key: KeyRow, detail: string): ApiError {
  return new ApiError("KMSInvalidStateException", `${keyArn(ctx, key.key_id)} ${detail}`);
}

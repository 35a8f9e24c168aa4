import type { Parameter } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { decryptFor, encryptFor } from "../kms/index.js";
import { arnResource, type Selector } from "./names.js";
import type { HeadRow, VersionRow } from "./store.js";

/** The AWS managed key Parameter Store uses when a SecureString names no key. */
export const DEFAULT_KEY_ID = "alias/aws/ssm";

/** KMS errors that mean "this key can't be used", which SSM reports as InvalidKeyId. */
const KEY_PROBLEMS = new Set([
  "NotFoundException",
  "DisabledException",
  "KMSInvalidStateException",
  "KeyUnavailableException",
  "InvalidKeyUsageException",
  "IncorrectKeyException",
]);

function asSsmError(e: unknown): unknown {
  if (e instanceof ApiError && KEY_PROBLEMS.has(e.code)) {
    return new ApiError("InvalidKeyId", `${e.message} (Service: AWSKMS; Error Code: ${e.code})`);
  }
  return e;
}

export function parameterArn(ctx: Pick<RequestContext, "arn">, key: string): string {
  return ctx.arn("ssm", arnResource(key));
}

/** Encrypts a SecureString value under the named key, bound to the parameter's ARN as AWS binds PARAMETER_ARN. */
export async function sealValue(ctx: RequestContext, keyId: string | undefined, value: string, arn: string): Promise<{ ciphertext: Buffer; keyArn: string }> {
  try {
    const r = await encryptFor(ctx, keyId, Buffer.from(value, "utf8"), { PARAMETER_ARN: arn });
    return { ciphertext: r.ciphertext, keyArn: r.keyArn };
  } catch (e) {
    throw asSsmError(e);
  }
}

/** The value a version shows: plain for String/StringList; for SecureString the plaintext when decrypting, else the ciphertext in base64 (as AWS returns it). */
export async function presentValue(ctx: RequestContext, row: VersionRow, arn: string, withDecryption: boolean): Promise<string> {
  if (row.type !== "SecureString") return row.value ?? "";
  const blob = row.ciphertext ? Buffer.from(row.ciphertext) : Buffer.alloc(0);
  if (!withDecryption) return blob.toString("base64");
  try {
    const { plaintext } = await decryptFor(ctx, blob, { PARAMETER_ARN: arn });
    try {
      return plaintext.toString("utf8");
    } finally {
      plaintext.fill(0);
    }
  } catch (e) {
    throw asSsmError(e);
  }
}

/** The API's Parameter shape for one version. */
export async function toParameter(
  ctx: RequestContext,
  head: Pick<HeadRow, "name" | "name_key">,
  row: VersionRow,
  withDecryption: boolean,
  selector?: Selector,
): Promise<Parameter> {
  const arn = parameterArn(ctx, head.name_key);
  return {
    Name: head.name,
    Type: row.type as Parameter["Type"],
    Value: await presentValue(ctx, row, arn, withDecryption),
    Version: Number(row.version),
    Selector: selector ? `:${selector.text}` : undefined,
    LastModifiedDate: new Date(Number(row.last_modified_date)),
    ARN: arn,
    DataType: row.data_type,
  };
}

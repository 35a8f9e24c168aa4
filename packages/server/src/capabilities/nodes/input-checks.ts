import { createPublicKey, type KeyObject } from "node:crypto";
import { ApiError } from "../../errors.js";

/** Input checks for the agent-only operations, which have no public model to validate them. */
export function requiredString(input: Record<string, unknown>, member: string, min = 1, max = Number.POSITIVE_INFINITY): string {
  const v = input[member];
  const at = member.charAt(0).toLowerCase() + member.slice(1);
  if (v === undefined || v === null) {
    throw new ApiError("ValidationException", `1 validation error detected: Value null at '${at}' failed to satisfy constraint: Member must not be null`);
  }
  if (typeof v !== "string") throw new ApiError("ValidationException", `1 validation error detected: Value at '${at}' must be a string`);
  if (v.length < min || v.length > max) {
    const bound = Number.isFinite(max) ? `less than or equal to ${max} and greater than or equal to ${min}` : `greater than or equal to ${min}`;
    throw new ApiError("ValidationException", `1 validation error detected: Value at '${at}' failed to satisfy constraint: Member must have length ${bound}`);
  }
  return v;
}

export function optionalString(input: Record<string, unknown>, member: string, min = 1, max = 4096): string | undefined {
  if (input[member] === undefined || input[member] === null) return undefined;
  return requiredString(input, member, min, max);
}

/** Parses a node's public key: base64 SPKI DER of an RSA key of at least 2048 bits, type "Rsa". */
export function parseNodePublicKey(base64: string, type: string | undefined, member: string): KeyObject {
  if (type !== undefined && type !== "Rsa") throw new ApiError("ValidationException", `${member}Type must be Rsa, not ${type}.`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(base64, "base64"), format: "der", type: "spki" });
  } catch {
    throw new ApiError("ValidationException", `${member} is not a base64-encoded SubjectPublicKeyInfo (DER) RSA public key.`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== "rsa" || bits < 2048) {
    throw new ApiError(
      "ValidationException",
      `${member} must be an RSA public key of at least 2048 bits (got ${key.asymmetricKeyType ?? "unknown"} ${bits} bits).`,
    );
  }
  return key;
}

import { ApiError } from "../errors.js";

/** The JSON body; an empty body or `null` is an empty input, as the SDKs send for operations with no members set. */
export function parseBody(body: Buffer): unknown {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ApiError("SerializationException", "The request body is not valid JSON.");
  }
  return value === null ? {} : value;
}

/** Whether a JSON body may carry U+0000 in a string (only as the escape \u0000). */
export function mayHoldNul(body: Buffer): boolean {
  return body.includes("\\u0000");
}

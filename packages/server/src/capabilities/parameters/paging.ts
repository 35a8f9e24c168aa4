import { createHash } from "node:crypto";
import { ApiError } from "../../http/errors.js";

/**
 * Opaque page tokens: base64url of the last position returned plus a fingerprint of the query,
 * so a token is stable across calls and refused when reused with another query.
 */
export function queryFingerprint(query: unknown): string {
  return createHash("sha256").update(JSON.stringify(query)).digest("base64url").slice(0, 16);
}

export function encodeToken(position: string | number, fingerprint: string): string {
  return Buffer.from(JSON.stringify({ p: position, q: fingerprint }), "utf8").toString("base64url");
}

export function decodeToken<T extends string | number>(token: string | undefined, fingerprint: string, kind: "string" | "number"): T | undefined {
  if (token === undefined || token === "") return undefined;
  let parsed: { p?: unknown; q?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const positionOk = kind === "string" ? typeof parsed?.p === "string" : typeof parsed?.p === "number";
  if (!parsed || !positionOk || parsed.q !== fingerprint) {
    throw new ApiError("InvalidNextToken", "The specified NextToken isn't valid: pass the NextToken of the previous page of this same request, unchanged.");
  }
  return parsed.p as T;
}

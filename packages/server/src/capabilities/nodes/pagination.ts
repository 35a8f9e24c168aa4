import { ApiError } from "../../http/errors.js";

/** Opaque NextToken: base64url of a JSON position, tied to the operation that issued it. */
export function encodeToken(operation: string, position: unknown): string {
  return Buffer.from(JSON.stringify({ o: operation, p: position }), "utf8").toString("base64url");
}

export function decodeToken<T>(operation: string, token: string | undefined): T | undefined {
  if (token === undefined || token === "") return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o?: string; p?: T };
    if (parsed.o === operation && parsed.p !== undefined) return parsed.p;
  } catch {
    // fall through
  }
  throw new ApiError("InvalidNextToken", `The NextToken is not valid for ${operation}; pass the NextToken of the previous ${operation} response unchanged.`);
}

import { ApiError } from "../../http/errors.js";

/** Opaque NextToken of DescribeSessions: base64url of the last row's position. */
export function encodeToken(position: { s: number; i: string }): string {
  return Buffer.from(JSON.stringify({ o: "DescribeSessions", p: position }), "utf8").toString("base64url");
}

export function decodeToken(token: string | undefined): { s: number; i: string } | undefined {
  if (token === undefined || token === "") return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { o?: string; p?: { s?: unknown; i?: unknown } };
    if (parsed.o === "DescribeSessions" && typeof parsed.p?.s === "number" && typeof parsed.p.i === "string") return { s: parsed.p.s, i: parsed.p.i };
  } catch {
    // fall through
  }
  throw new ApiError("InvalidNextToken", "The NextToken is not valid for DescribeSessions; pass the NextToken of the previous response unchanged.");
}

import { createHash } from "node:crypto";
import { ApiError } from "../../http/errors.js";

function fingerprint(query: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify(query ?? null))
    .digest("base64url")
    .slice(0, 16);
}

/**
 * One page of `items`, ordered by `key`. The NextToken is opaque (base64url of the last key returned
 * and a fingerprint of the query), so pages stay stable when items are added or removed between
 * calls, and a token reused with another query is refused.
 */
export function pageOf<T>(
  items: T[],
  key: (item: T) => string,
  input: { MaxResults?: number; NextToken?: string },
  opts: { query: unknown; defaultSize: number; descending?: boolean },
): { items: T[]; nextToken?: string } {
  const q = fingerprint(opts.query);
  const dir = opts.descending ? -1 : 1;
  const sorted = items.map((item) => ({ item, k: key(item) })).sort((a, b) => (a.k < b.k ? -dir : a.k > b.k ? dir : 0));
  let start = 0;
  if (input.NextToken) {
    let parsed: { k?: unknown; q?: unknown } | undefined;
    try {
      parsed = JSON.parse(Buffer.from(input.NextToken, "base64url").toString("utf8"));
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed.k !== "string" || parsed.q !== q) {
      throw new ApiError("InvalidNextToken", "The NextToken is not valid: pass the NextToken of the previous page of this same request, unchanged.");
    }
    const after = parsed.k;
    start = sorted.findIndex((s) => (dir > 0 ? s.k > after : s.k < after));
    if (start < 0) start = sorted.length;
  }
  const size = input.MaxResults ?? opts.defaultSize;
  const page = sorted.slice(start, start + size);
  const more = start + size < sorted.length;
  return {
    items: page.map((p) => p.item),
    nextToken: more && page.length ? Buffer.from(JSON.stringify({ k: page[page.length - 1].k, q }), "utf8").toString("base64url") : undefined,
  };
}

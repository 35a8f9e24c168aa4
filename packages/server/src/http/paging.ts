import { createHash } from "node:crypto";
import { ApiError } from "../errors.js";

/**
 * Paging for every list operation: NextToken (or KMS's Marker) is opaque, base64url of
 * { operation, a fingerprint of the caller's account, region and query, the last key returned }.
 * A token names a position, not an offset, so pages stay stable while items come and go between
 * calls; one reused with another operation, query, account or region is refused.
 */

/** Who asks: the request context carries all three. */
export interface PageScope {
  operation: string;
  accountId: string;
  region: string;
}

export interface PageOptions<K> {
  /** What the listing depends on besides the scope (filters, path, parent id): part of the fingerprint. */
  query?: unknown;
  /** Page size when the caller gives none. */
  defaultSize: number;
  /** Checks the key a token carries (a token is the caller's input). Default: a string. */
  isKey?: (k: unknown) => k is K;
  /** The error for a bad token (default InvalidNextToken; KMS: InvalidMarkerException). */
  invalid?: () => ApiError;
}

export interface PageRequest<K> {
  /** The last key of the previous page, or undefined on the first page. */
  after: K | undefined;
  /** How many items this page holds at most. */
  size: number;
  /** The token for the page after the one ending with `last`. */
  tokenAfter(last: K): string;
  /**
   * Finishes a page from rows fetched with `limit(size + 1)` after `after`: the first `size` rows,
   * and a token when there were more.
   */
  finish<T>(rows: T[], keyOf: (row: T) => K): { items: T[]; nextToken?: string };
}

export const isString = (k: unknown): k is string => typeof k === "string";
export const isNumber = (k: unknown): k is number => typeof k === "number" && Number.isFinite(k);
/** A [time, id] position (newest-first listings). */
export const isNumberAndString = (k: unknown): k is [number, string] => Array.isArray(k) && isNumber(k[0]) && isString(k[1]);

function fingerprint(scope: PageScope, query: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify([scope.accountId, scope.region, query ?? null]))
    .digest("base64url")
    .slice(0, 16);
}

const invalidNextToken = () =>
  new ApiError("InvalidNextToken", "The specified NextToken isn't valid: pass the NextToken of the previous page of this same request, unchanged.");

/** Reads the caller's NextToken and MaxResults for one list operation. */
export function pageRequest<K = string>(scope: PageScope, input: { NextToken?: string; MaxResults?: number }, opts: PageOptions<K>): PageRequest<K> {
  const q = fingerprint(scope, opts.query);
  const isKey = opts.isKey ?? (isString as unknown as (k: unknown) => k is K);
  let after: K | undefined;
  if (input.NextToken !== undefined && input.NextToken !== "") {
    let parsed: { o?: unknown; q?: unknown; k?: unknown } | undefined;
    try {
      parsed = JSON.parse(Buffer.from(input.NextToken, "base64url").toString("utf8"));
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.o !== scope.operation || parsed.q !== q || !isKey(parsed.k)) throw (opts.invalid ?? invalidNextToken)();
    after = parsed.k;
  }
  const size = input.MaxResults ?? opts.defaultSize;
  const tokenAfter = (last: K) => Buffer.from(JSON.stringify({ o: scope.operation, q, k: last }), "utf8").toString("base64url");
  return {
    after,
    size,
    tokenAfter,
    finish(rows, keyOf) {
      const items = rows.slice(0, size);
      return rows.length > size && items.length > 0 ? { items, nextToken: tokenAfter(keyOf(items[items.length - 1])) } : { items };
    },
  };
}

/** One page of items held in memory, ordered by a string key (ascending unless `descending`). */
export function pageOf<T>(
  scope: PageScope,
  items: T[],
  key: (item: T) => string,
  input: { NextToken?: string; MaxResults?: number },
  opts: Omit<PageOptions<string>, "isKey"> & { descending?: boolean },
): { items: T[]; nextToken?: string } {
  const page = pageRequest<string>(scope, input, opts);
  const dir = opts.descending ? -1 : 1;
  const sorted = items.map((item) => ({ item, k: key(item) })).sort((a, b) => (a.k < b.k ? -dir : a.k > b.k ? dir : 0));
  const after = page.after;
  const rest = after === undefined ? sorted : sorted.filter((s) => (dir > 0 ? s.k > after : s.k < after));
  const { items: out, nextToken } = page.finish(rest.slice(0, page.size + 1), (s) => s.k);
  return { items: out.map((s) => s.item), nextToken };
}

/** KMS's form of the same paging: Marker and Limit in, NextMarker and Truncated out. */
export function markerRequest<K = string>(scope: PageScope, input: { Marker?: string; Limit?: number }, opts: Omit<PageOptions<K>, "invalid">): PageRequest<K> {
  return pageRequest<K>(scope, { NextToken: input.Marker, MaxResults: input.Limit }, { ...opts, invalid: invalidMarker });
}

const invalidMarker = () => new ApiError("InvalidMarkerException", "The Marker is not valid: pass the NextMarker of the previous response unchanged.");

import type { RequestContext } from "../../runtime.js";
import { findByTag, getTags } from "../tags/index.js";
import { once } from "./access.js";
import { type Filter, matches } from "./filters.js";
import { PARAMETER_RESOURCE_TYPE } from "./lookup.js";
import { type HeadRow, pdb, type ScanOptions, scanParameters } from "./store.js";

/** How a listing operation picks, checks and shows parameters. */
export interface ListPlan<P, T> {
  scan: ScanOptions;
  filters: Filter[];
  max: number;
  /** Whether the caller may see this parameter. */
  visible(row: HeadRow, tags: () => Promise<Record<string, string>>): Promise<boolean>;
  /** Cheap per-row choice after the filters (for example the labelled version); undefined skips the row. */
  pick(row: HeadRow): Promise<P | undefined>;
  /** Builds the result item (may decrypt). */
  emit(row: HeadRow, picked: P): Promise<T>;
}

export interface ListResult<T> {
  items: T[];
  /** The key of the last item, when another page follows. */
  nextAfter?: string;
  /** Whether the caller could see any parameter the scan passed, filtered out or not. */
  anyVisible: boolean;
}

/** Walks parameters in name order and returns one page of the visible, matching ones. */
export async function listPage<P, T>(ctx: RequestContext, plan: ListPlan<P, T>): Promise<ListResult<T>> {
  const items: T[] = [];
  let lastKey: string | undefined;
  let anyVisible = false;
  // Tag filters first narrow the candidates with one query each; only BeginsWith needs each row's tags.
  const tagFilters = plan.filters.filter((f) => f.key.startsWith("tag:"));
  const tagged = await Promise.all(
    tagFilters.map(async (f) => new Set(await findByTag(ctx.services.db, ctx, PARAMETER_RESOURCE_TYPE, f.key.slice(4), f.option === "Equals" ? f.values : []))),
  );
  const needsTags = tagFilters.some((f) => f.option !== "Equals");
  for await (const row of scanParameters(pdb(ctx.services.db), ctx, plan.scan)) {
    const tags = once(() => getTags(ctx.services.db, ctx, PARAMETER_RESOURCE_TYPE, row.name_key));
    if (!(await plan.visible(row, tags))) continue;
    anyVisible = true;
    if (!tagged.every((ids) => ids.has(row.name_key))) continue;
    const subject = {
      nameKey: row.name_key,
      parentPath: row.parent_path,
      type: row.type,
      keyId: row.key_id,
      keyArn: row.key_arn,
      tier: row.tier,
      dataType: row.data_type,
      tags: needsTags ? await tags() : undefined,
    };
    if (!plan.filters.every((f) => (f.key.startsWith("tag:") && f.option === "Equals") || matches(subject, f))) continue;
    const picked = await plan.pick(row);
    if (picked === undefined) continue;
    if (items.length === plan.max) return { items, nextAfter: lastKey, anyVisible };
    items.push(await plan.emit(row, picked));
    lastKey = row.name_key;
  }
  return { items, anyVisible };
}

import type { DocumentFilter, DocumentKeyValuesFilter } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { VersionView } from "./access.js";

export const OWNER_VALUES = ["Self", "Amazon", "Public", "Private", "ThirdParty", "All"] as const;
export type OwnerFilter = (typeof OWNER_VALUES)[number];

/** ListDocuments' filters, both forms (Filters and the older DocumentFilterList), reduced to one. */
export interface DocumentQuery {
  owner?: OwnerFilter;
  names: string[];
  types: string[];
  platforms: string[];
  targetTypes: string[];
  keywords: string[];
  /** tag key → values (any of); an empty list: the key with any value. */
  tags: Map<string, string[]>;
}

const KEYS = ["DocumentType", "Owner", "PlatformTypes", "Name", "TargetType", "SearchKeyword"];

function ownerValue(v: string): OwnerFilter {
  const hit = OWNER_VALUES.find((o) => o.toLowerCase() === v.toLowerCase());
  if (!hit) throw new ApiError("ValidationException", `Owner filter value '${v}' is not valid; use one of ${OWNER_VALUES.join(", ")}.`);
  return hit;
}

export function readFilters(filters: DocumentKeyValuesFilter[] | undefined, legacy: DocumentFilter[] | undefined): DocumentQuery {
  const q: DocumentQuery = { names: [], types: [], platforms: [], targetTypes: [], keywords: [], tags: new Map() };
  const setOwner = (values: string[]) => {
    if (values.length !== 1 || (q.owner && q.owner !== ownerValue(values[0]))) {
      throw new ApiError("ValidationException", "Only one Owner can be given in a ListDocuments request (for example Key=Owner,Values=Self).");
    }
    q.owner = ownerValue(values[0]);
  };
  for (const f of filters ?? []) {
    const key = String(f.Key);
    const values = (f.Values ?? []).map(String);
    if (key.startsWith("tag:")) {
      const tagKey = key.slice(4);
      if (!tagKey) throw new ApiError("InvalidFilterKey", "A tag filter needs a key: Key=tag:<tag key>,Values=<values>.");
      q.tags.set(tagKey, [...(q.tags.get(tagKey) ?? []), ...values]);
      continue;
    }
    if (!KEYS.includes(key)) {
      throw new ApiError("InvalidFilterKey", `ListDocuments can't filter on '${key}'; use ${KEYS.join(", ")} or tag:<tag key>.`);
    }
    if (values.length === 0) throw new ApiError("ValidationException", `The ${key} filter needs at least one value.`);
    if (key === "Owner") setOwner(values);
    else if (key === "DocumentType") q.types.push(...values);
    else if (key === "PlatformTypes") q.platforms.push(...values);
    else if (key === "Name") q.names.push(...values);
    else if (key === "TargetType") q.targetTypes.push(...values);
    else q.keywords.push(...values.map((v) => v.toLowerCase()));
  }
  for (const f of legacy ?? []) {
    const value = String(f.value);
    if (f.key === "Owner") setOwner([value]);
    else if (f.key === "DocumentType") q.types.push(value);
    else if (f.key === "PlatformTypes") q.platforms.push(value);
    else q.names.push(value);
  }
  return q;
}

/** Whether a document (its default version) passes the query's filters other than Owner and tags. */
export function matches(q: DocumentQuery, view: VersionView): boolean {
  const h = view.handle;
  if (q.names.length && !q.names.some((n) => h.name.startsWith(n) || h.arn.startsWith(n))) return false;
  if (q.types.length && !q.types.includes(h.documentType)) return false;
  if (q.platforms.length && !q.platforms.some((p) => view.platformTypes.includes(p))) return false;
  if (q.targetTypes.length && !q.targetTypes.some((t) => view.targetType === t || (t.endsWith("*") && view.targetType?.startsWith(t.slice(0, -1)))))
    return false;
  if (q.keywords.length) {
    const text = [h.name, view.displayName ?? "", view.description ?? ""].join("\n").toLowerCase();
    if (!q.keywords.every((k) => text.includes(k))) return false;
  }
  return true;
}

import { ApiError } from "../../errors.js";
import type { AnyDb } from "../../storage/database.js";
import { findByTag } from "../tags/store.js";
import { ANY_INSTANCE_ID } from "./ids.js";
import { ONLINE_WINDOW_MS } from "./ping.js";
import { NODE_RESOURCE_TYPE, type Scope } from "./store.js";
import { nodeDb } from "./tables.js";
import { inScope } from "../../storage/scope.js";

export interface NodeFilter {
  key: string;
  values: string[];
}

const PING = ["Online", "ConnectionLost", "Inactive"];
const PLATFORMS = ["Windows", "Linux", "MacOS"];
const RESOURCE_TYPES = ["ManagedInstance", "EC2Instance"];
const SOURCE_TYPES = ["AWS::EC2::Instance", "AWS::IoT::Thing", "AWS::SSM::ManagedInstance"];
const ASSOCIATION_STATUSES = ["Success", "Pending", "Failed"];
const KEYS = [
  "InstanceIds",
  "AgentVersion",
  "PingStatus",
  "PlatformTypes",
  "PlatformType",
  "ActivationIds",
  "IamRole",
  "ResourceType",
  "AssociationStatus",
  "SourceIds",
  "SourceTypes",
];

const badValue = (key: string, value: string, allowed: string[]) =>
  new ApiError("InvalidInstanceInformationFilterValue", `${value} is not a valid value for the ${key} filter; use ${allowed.join(", ")}.`);

function checkValues(key: string, values: string[], allowed: string[]): void {
  for (const v of values) if (!allowed.includes(v)) throw badValue(key, v, allowed);
}

/**
 * Reads DescribeInstanceInformation's two filter forms (Filters, or the legacy
 * InstanceInformationFilterList — not both, and tag filters alone) and checks keys and values.
 */
export function readFilters(
  filters: { Key?: string; Values?: string[] }[] | undefined,
  legacy: { key?: string; valueSet?: string[] }[] | undefined,
): NodeFilter[] {
  if (filters?.length && legacy?.length) {
    throw new ApiError("InvalidInstanceInformationFilterValue", "Use either Filters or InstanceInformationFilterList (deprecated), not both in one request.");
  }
  const list: NodeFilter[] = filters?.length
    ? filters.map((f) => ({ key: String(f.Key), values: (f.Values ?? []).map(String) }))
    : (legacy ?? []).map((f) => ({ key: String(f.key), values: (f.valueSet ?? []).map(String) }));
  const isTag = (k: string) => k.startsWith("tag:") || k === "tag-key";
  if (list.some((f) => isTag(f.key)) && list.some((f) => !isTag(f.key))) {
    throw new ApiError("InvalidInstanceInformationFilterValue", "Tag filters (tag:<key>, tag-key) can't be combined with other filter types in one request.");
  }
  for (const f of list) {
    if (f.values.length === 0) throw new ApiError("InvalidInstanceInformationFilterValue", `The ${f.key} filter has no values; give at least one.`);
    if (isTag(f.key)) {
      if (f.key === "tag:") throw new ApiError("InvalidFilterKey", "A tag filter key needs a tag key after 'tag:' (for example tag:Environment).");
      continue;
    }
    if (!KEYS.includes(f.key)) {
      throw new ApiError("InvalidFilterKey", `${f.key} is not a filter key for managed nodes; use ${KEYS.join(", ")}, tag:<key> or tag-key.`);
    }
    if (f.key === "PingStatus") checkValues(f.key, f.values, PING);
    if (f.key === "PlatformTypes" || f.key === "PlatformType") checkValues(f.key, f.values, PLATFORMS);
    if (f.key === "ResourceType") checkValues(f.key, f.values, RESOURCE_TYPES);
    if (f.key === "SourceTypes") checkValues(f.key, f.values, SOURCE_TYPES);
    if (f.key === "AssociationStatus") checkValues(f.key, f.values, ASSOCIATION_STATUSES);
    if (f.key === "InstanceIds") {
      for (const v of f.values)
        if (!ANY_INSTANCE_ID.test(v)) throw new ApiError("InvalidInstanceId", `${v} is not a managed node id (mi- followed by 17 hex digits).`);
    }
  }
  return list;
}

/** Instance ids named by an InstanceIds filter must be registered nodes of the caller (AWS: "isn't valid or a node that you don't own"). */
export async function checkNamedInstances(db: AnyDb, scope: Scope, filters: NodeFilter[]): Promise<void> {
  const named = [...new Set(filters.filter((f) => f.key === "InstanceIds").flatMap((f) => f.values))];
  if (named.length === 0) return;
  const found = new Set(
    (
      await nodeDb(db)
        .selectFrom("nodes_instances")
        .select("instance_id")
        .where(inScope(scope))
        .where("deregistered_at", "is", null)
        .where("instance_id", "in", named)
        .execute()
    ).map((r) => r.instance_id),
  );
  const missing = named.filter((id) => !found.has(id));
  if (missing.length) throw new ApiError("InvalidInstanceId", `Not registered managed nodes of this account in ${scope.region}: ${missing.join(", ")}.`);
}

/** The ids that tag filters allow (undefined when there are no tag filters). */
async function tagFilteredIds(db: AnyDb, scope: Scope, filters: NodeFilter[]): Promise<Set<string> | undefined> {
  let ids: Set<string> | undefined;
  for (const f of filters) {
    let matched: string[] | undefined;
    if (f.key.startsWith("tag:")) matched = await findByTag(db, scope, NODE_RESOURCE_TYPE, f.key.slice(4), f.values);
    else if (f.key === "tag-key") matched = (await Promise.all(f.values.map((k) => findByTag(db, scope, NODE_RESOURCE_TYPE, k)))).flat();
    if (!matched) continue;
    const next = new Set(matched);
    ids = ids ? new Set([...ids].filter((id) => next.has(id))) : next;
  }
  return ids;
}

/**
 * A query of registered nodes in scope with the filters applied (all filters must hold). Wrapped in
 * an object: Kysely refuses to be awaited, and this function is async.
 */
export async function filteredNodes(db: AnyDb, scope: Scope, filters: NodeFilter[], now: number) {
  let q = nodeDb(db).selectFrom("nodes_instances").selectAll().where(inScope(scope)).where("deregistered_at", "is", null);
  const nothing = () => q.where("instance_id", "=", "");
  const tagIds = await tagFilteredIds(db, scope, filters);
  if (tagIds) q = tagIds.size ? q.where("instance_id", "in", [...tagIds]) : nothing();
  const onlineSince = now - ONLINE_WINDOW_MS;
  for (const f of filters) {
    const v = f.values;
    switch (f.key) {
      case "InstanceIds":
      case "SourceIds":
        q = q.where("instance_id", "in", v);
        break;
      case "AgentVersion":
        q = q.where("agent_version", "in", v);
        break;
      case "PlatformTypes":
      case "PlatformType":
        q = q.where("platform_type", "in", v);
        break;
      case "ActivationIds":
        q = q.where("activation_id", "in", v);
        break;
      case "IamRole":
        q = q.where("iam_role", "in", v);
        break;
      case "AssociationStatus":
        q = q.where("association_status", "in", v);
        break;
      case "ResourceType":
        if (!v.includes("ManagedInstance")) q = nothing();
        break;
      case "SourceTypes":
        if (!v.includes("AWS::SSM::ManagedInstance")) q = nothing();
        break;
      case "PingStatus": {
        const online = v.includes("Online");
        const lost = v.includes("ConnectionLost");
        if (online && !lost) q = q.where("last_ping_at", ">=", onlineSince);
        else if (lost && !online) q = q.where((eb) => eb.or([eb("last_ping_at", "is", null), eb("last_ping_at", "<", onlineSince)]));
        else if (!online && !lost) q = nothing(); // Inactive: deregistered nodes are not listed
        break;
      }
    }
  }
  return { query: q };
}

import { contentHashOfText } from "./content.js";
import { ApiError } from "../../errors.js";
import type { RequestContext, ServerSlot } from "../../runtime.js";
import { type NodeFacts, registeredNodeFacts } from "../nodes/index.js";
import { type Operator, satisfies } from "./compare.js";
import { INSTANCE_INFORMATION, type TypeSchema } from "./schemas.js";
import { hasKey, itemHashes, itemsOf, listItems } from "./store.js";
import { schemaFor, splitKey } from "./types.js";

export interface FilterInput {
  Key?: string;
  Values?: string[];
  Type?: string;
}

/** A filter checked against the type's schema. */
export interface Filter {
  schema: TypeSchema;
  attribute: string;
  op: Operator;
  values: string[];
}

type Attrs = Record<string, string>;

/** AWS:InstanceInformation of a registered node, built from what it reports (UpdateInstanceInformation). */
export function instanceInformation(n: NodeFacts): Attrs {
  const out: Attrs = {
    AgentType: n.agentName ?? "",
    AgentVersion: n.agentVersion ?? "",
    ComputerName: n.computerName ?? n.name ?? "",
    IpAddress: n.ipAddress ?? "",
    PlatformName: n.platformName ?? "",
    PlatformType: n.platformType ?? "",
    PlatformVersion: n.platformVersion ?? "",
    ResourceType: "ManagedInstance",
    InstanceId: n.instanceId,
    InstanceStatus: "Active",
  };
  for (const k of Object.keys(out)) if (out[k] === "") delete out[k];
  return out;
}

export function contentHash(content: unknown): string {
  return contentHashOfText(JSON.stringify(content));
}

const OPERATORS: Operator[] = ["Equal", "NotEqual", "BeginWith", "LessThan", "GreaterThan", "Exists"];

/** Checks filters (InvalidFilter, InvalidTypeNameException naming what is wrong). */
export async function parseFilters(ctx: RequestContext, filters: FilterInput[] | undefined, errorName = "InvalidFilter"): Promise<Filter[]> {
  const out: Filter[] = [];
  for (const f of filters ?? []) {
    const key = String(f.Key ?? "");
    const { typeName, attribute } = splitKey(key);
    if (!attribute) throw new ApiError(errorName, `The filter key ${key} must name a type and one of its attributes, for example AWS:Application.Name.`);
    const schema = await schemaFor(ctx.services.db, ctx, typeName);
    if (!schema) throw new ApiError("InvalidTypeNameException", `${typeName} is not an inventory type of this account: see GetInventorySchema.`);
    if (!schema.attributes.some((a) => a.name === attribute)) {
      throw new ApiError(errorName, `${typeName} has no attribute ${attribute}; its attributes: ${schema.attributes.map((a) => a.name).join(", ")}.`);
    }
    const op = (f.Type ?? "Equal") as Operator;
    if (!OPERATORS.includes(op)) throw new ApiError(errorName, `${f.Type} is not a filter type: use ${OPERATORS.join(", ")}.`);
    out.push({ schema, attribute, op, values: (f.Values ?? []).map(String) });
  }
  return out;
}

/** The node's entries of one type that satisfy every filter on that type. */
function entryMatches(attrs: Attrs, filters: Filter[]): boolean {
  return filters.every((f) => satisfies(attrs[f.attribute], f.op, f.values));
}

/** Per server: each node's key values of a type, as of its content hash (checked on every use). */
const KEY_VALUES: ServerSlot<{ nodes: Map<string, { hash: string; keys: string }>; chars: number }> = {
  name: "inventory.key-values",
  create: () => ({ nodes: new Map(), chars: 0 }),
};
/** Past this many characters the cache starts again (about 2 × 1,000 nodes × 1,500 applications). */
const KEY_VALUES_MAX_CHARS = 64 * 2 ** 20;

/** The key_values column of a type's items (the fleet's, or some nodes'), from the cache where the hash still matches. */
async function keyValuesOf(ctx: RequestContext, typeName: string, instanceIds?: string[]): Promise<Map<string, string>> {
  const cache = ctx.services.own(KEY_VALUES);
  const prefix = `${ctx.accountId}\u0000${ctx.region}\u0000${typeName}\u0000`;
  const out = new Map<string, string>();
  const stale: string[] = [];
  for (const h of await itemHashes(ctx.services.db, ctx, typeName, instanceIds)) {
    const hit = cache.nodes.get(prefix + h.instance_id);
    if (hit && hit.hash === h.content_hash) out.set(h.instance_id, hit.keys);
    else stale.push(h.instance_id);
  }
  for (let i = 0; i < stale.length; i += 500) {
    for (const r of await itemsOf(ctx.services.db, ctx, typeName, { instanceIds: stale.slice(i, i + 500) })) {
      out.set(r.instance_id, r.key_values);
      if (cache.chars + r.key_values.length > KEY_VALUES_MAX_CHARS) {
        cache.nodes.clear();
        cache.chars = 0;
      }
      const old = cache.nodes.get(prefix + r.instance_id);
      cache.chars += r.key_values.length - (old?.keys.length ?? 0);
      cache.nodes.set(prefix + r.instance_id, { hash: r.content_hash, keys: r.key_values });
    }
  }
  return out;
}

/** Fleet facts loaded once per request. */
export interface Fleet {
  facts: NodeFacts[];
  byId: Map<string, NodeFacts>;
}

export async function loadFleet(ctx: RequestContext): Promise<Fleet> {
  const facts = await registeredNodeFacts(ctx.services.db, ctx);
  return { facts, byId: new Map(facts.map((f) => [f.instanceId, f])) };
}

/**
 * The registered nodes that satisfy every filter, in id order. Filters on one type must hold for the
 * same entry (Name = openssl and Version < 3 on one application); different types combine per node.
 */
export async function matchingNodes(ctx: RequestContext, fleet: Fleet, filters: Filter[], among?: string[]): Promise<string[]> {
  let candidates = among ?? fleet.facts.map((f) => f.instanceId);
  const byType = new Map<string, Filter[]>();
  for (const f of filters) byType.set(f.schema.typeName, [...(byType.get(f.schema.typeName) ?? []), f]);
  for (const [typeName, group] of byType) {
    if (candidates.length === 0) break;
    if (typeName === INSTANCE_INFORMATION) {
      candidates = candidates.filter((id) => {
        const n = fleet.byId.get(id);
        return n !== undefined && entryMatches(instanceInformation(n), group);
      });
      continue;
    }
    const schema = group[0].schema;
    const keyed = group.find((f) => f.attribute === schema.key && (f.op === "Equal" || (f.op === "BeginWith" && f.values.length === 1)));
    const among = candidates.length <= 500 ? candidates : undefined;
    const matched = new Set<string>();
    if (keyed && group.every((f) => f === keyed)) {
      // Only key filters (Name = openssl): the nodes' key values decide, without decoding any entries.
      for (const [id, keys] of await keyValuesOf(ctx, typeName, among))
        if (keyed.values.some((v) => hasKey(keys, v, keyed.op === "BeginWith"))) matched.add(id);
    } else {
      // The key values narrow (a superset), the entries decide.
      const rows = await itemsOf(ctx.services.db, ctx, typeName, {
        instanceIds: among,
        keyEquals: keyed?.op === "Equal" ? keyed.values : undefined,
        keyPrefix: keyed?.op === "BeginWith" ? keyed.values[0] : undefined,
        content: true,
      });
      for (const r of rows) {
        if (keyed && !keyed.values.some((v) => hasKey(r.key_values, v, keyed.op === "BeginWith"))) continue;
        if ((JSON.parse(r.content ?? "[]") as Attrs[]).some((e) => entryMatches(e, group))) matched.add(r.instance_id);
      }
    }
    candidates = candidates.filter((id) => matched.has(id));
  }
  return candidates;
}

/** One node's data of the given types, as GetInventory's Data map holds it. */
export async function entityData(
  ctx: RequestContext,
  fleet: Fleet,
  instanceIds: string[],
  typeName: string,
): Promise<Map<string, { TypeName: string; SchemaVersion: string; CaptureTime: string; ContentHash: string; Content: Attrs[] }>> {
  const out = new Map<string, { TypeName: string; SchemaVersion: string; CaptureTime: string; ContentHash: string; Content: Attrs[] }>();
  if (typeName === INSTANCE_INFORMATION) {
    for (const id of instanceIds) {
      const n = fleet.byId.get(id);
      if (!n) continue;
      const content = [instanceInformation(n)];
      out.set(id, {
        TypeName: INSTANCE_INFORMATION,
        SchemaVersion: "1.0",
        CaptureTime: isoSeconds(n.lastPingAt ?? ctx.now().getTime()),
        ContentHash: contentHash(content),
        Content: content,
      });
    }
    return out;
  }
  const items = await listItems(ctx.services.db, ctx, { instanceIds, types: [typeName] });
  const rows = await itemsOf(ctx.services.db, ctx, typeName, { instanceIds: items.map((i) => i.instance_id), content: true });
  const content = new Map<string, Attrs[]>();
  for (const r of rows) content.set(r.instance_id, JSON.parse(r.content ?? "[]") as Attrs[]);
  for (const item of items) {
    out.set(item.instance_id, {
      TypeName: item.type_name,
      SchemaVersion: item.schema_version,
      CaptureTime: item.capture_time,
      ContentHash: item.content_hash,
      Content: content.get(item.instance_id) ?? [],
    });
  }
  return out;
}

/** Inventory's time form: 2024-01-31T12:00:00Z. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export interface AggregatorInput {
  Expression?: string;
  Aggregators?: AggregatorInput[];
  Groups?: { Name?: string; Filters?: FilterInput[] }[];
}

interface Row {
  instanceId: string;
  attrs: Attrs;
}

/** The records (one per entry; one per node for AWS:InstanceInformation) of a type among some nodes. */
async function recordsOf(ctx: RequestContext, fleet: Fleet, typeName: string, instanceIds: string[]): Promise<Row[]> {
  if (typeName === INSTANCE_INFORMATION) {
    return instanceIds.flatMap((id) => {
      const n = fleet.byId.get(id);
      return n ? [{ instanceId: id, attrs: instanceInformation(n) }] : [];
    });
  }
  const among = new Set(instanceIds);
  const rows = await itemsOf(ctx.services.db, ctx, typeName, { instanceIds: instanceIds.length <= 500 ? instanceIds : undefined, content: true });
  return rows
    .filter((r) => among.has(r.instance_id))
    .flatMap((r) => (JSON.parse(r.content ?? "[]") as Attrs[]).map((attrs) => ({ instanceId: r.instance_id, attrs })));
}

async function aggregatorTarget(ctx: RequestContext, expression: string): Promise<{ schema: TypeSchema; attribute?: string }> {
  const { typeName, attribute } = splitKey(expression);
  const schema = await schemaFor(ctx.services.db, ctx, typeName);
  if (!schema)
    throw new ApiError(
      "InvalidAggregatorException",
      `The aggregator expression ${expression} names ${typeName}, which is not an inventory type of this account.`,
    );
  if (attribute !== undefined && !schema.attributes.some((a) => a.name === attribute)) {
    throw new ApiError(
      "InvalidAggregatorException",
      `The aggregator expression ${expression}: ${typeName} has no attribute ${attribute}; its attributes: ${schema.attributes.map((a) => a.name).join(", ")}.`,
    );
  }
  return { schema, attribute };
}

/**
 * Counts for one aggregator over the given nodes: per value of the expression's attribute, how many
 * nodes have it (nested aggregators split each value further, on the same entry for the same type);
 * an expression naming only a type counts the nodes that have data of it; Groups count the nodes
 * each group's filters select.
 */
export async function aggregate(
  ctx: RequestContext,
  fleet: Fleet,
  agg: AggregatorInput,
  instanceIds: string[],
  depth = 0,
): Promise<{ typeName: string; schemaVersion: string; content: Attrs[] }> {
  if (depth > 1 && agg.Aggregators?.length) throw new ApiError("InvalidAggregatorException", "Aggregators nest at most two levels deep.");
  const expression = String(agg.Expression ?? "");
  const { schema, attribute } = await aggregatorTarget(ctx, expression);
  if (agg.Groups?.length) {
    if (agg.Aggregators?.length) throw new ApiError("InvalidAggregatorException", "An aggregator takes either Groups or nested Aggregators, not both.");
    const content: Attrs[] = [];
    const names = new Set<string>();
    for (const g of agg.Groups) {
      const name = String(g.Name ?? "");
      if (names.has(name)) throw new ApiError("InvalidInventoryGroupException", `The group name ${name} appears twice.`);
      names.add(name);
      const filters = await parseFilters(ctx, g.Filters, "InvalidInventoryGroupException");
      const other = filters.find((f) => f.schema.typeName !== schema.typeName);
      if (other) {
        throw new ApiError(
          "InvalidInventoryGroupException",
          `The filters of group ${name} must be on ${schema.typeName}, the type of the aggregator expression, not on ${other.schema.typeName}.`,
        );
      }
      const matched = await matchingNodes(ctx, fleet, filters, instanceIds);
      content.push({ Name: name, Count: String(matched.length) });
    }
    return { typeName: schema.typeName, schemaVersion: schema.version, content };
  }
  const records = await recordsOf(ctx, fleet, schema.typeName, instanceIds);
  if (attribute === undefined) {
    if (agg.Aggregators?.length) throw new ApiError("InvalidAggregatorException", `Nested aggregators need an attribute in ${expression}.`);
    return { typeName: schema.typeName, schemaVersion: schema.version, content: [{ Count: String(new Set(records.map((r) => r.instanceId)).size) }] };
  }
  const byValue = new Map<string, Row[]>();
  for (const r of records) {
    const v = r.attrs[attribute];
    if (v === undefined) continue;
    byValue.set(v, [...(byValue.get(v) ?? []), r]);
  }
  const content: Attrs[] = [];
  for (const [value, group] of [...byValue].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const nodes = [...new Set(group.map((r) => r.instanceId))];
    if (!agg.Aggregators?.length) {
      content.push({ [attribute]: value, Count: String(nodes.length) });
      continue;
    }
    for (const nested of agg.Aggregators) {
      const inner = await aggregatorTarget(ctx, String(nested.Expression ?? ""));
      if (inner.schema.typeName === schema.typeName && inner.attribute) {
        // The same type: split this value's entries themselves.
        const split = new Map<string, Set<string>>();
        for (const r of group) {
          const w = r.attrs[inner.attribute];
          if (w === undefined) continue;
          split.set(w, (split.get(w) ?? new Set()).add(r.instanceId));
        }
        for (const [w, set] of [...split].sort((a, b) => (a[0] < b[0] ? -1 : 1)))
          content.push({ [attribute]: value, [inner.attribute]: w, Count: String(set.size) });
      } else {
        const sub = await aggregate(ctx, fleet, nested, nodes, depth + 1);
        for (const row of sub.content) content.push({ [attribute]: value, ...row });
      }
    }
  }
  return { typeName: schema.typeName, schemaVersion: schema.version, content };
}

import type { GetOpsSummaryRequest, GetOpsSummaryResult, OpsAggregator, OpsEntity, OpsFilter } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageOf } from "../../http/paging.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { inventoryOpsData } from "../inventory/index.js";
import { type OperationalData, opsItemArn } from "./store.js";
import { type OpsItemRow, opsDb } from "./tables.js";

/**
 * GetOpsSummary: OpsData of the caller's account and region — its OpsItems (AWS:OpsItem) and its
 * nodes' inventory (AWS:InstanceInformation, AWS:Application, ..., Custom:) — listed per entity
 * (ResultAttributes) or counted and summed (Aggregators, nested, each with its own Filters).
 */
const OPS_ITEM = "AWS:OpsItem";
type Attrs = Record<string, string>;

/** One entity of OpsData: an OpsItem, or a node with its entries of a type. */
interface Entity {
  id: string;
  captureTime: string;
  entries: Attrs[];
}

const iso = (ms: number | null) => (ms === null ? undefined : `${new Date(Number(ms)).toISOString().slice(0, 19)}Z`);

function opsItemAttrs(ctx: RequestContext, r: OpsItemRow): Attrs {
  const a: Record<string, string | undefined> = {
    OpsItemId: r.ops_item_id,
    OpsItemArn: opsItemArn(ctx.scope, r.ops_item_id),
    OpsItemType: r.ops_item_type,
    Title: r.title,
    Source: r.source,
    Status: r.status,
    Severity: r.severity ?? undefined,
    Priority: r.priority === null ? undefined : String(r.priority),
    Category: r.category ?? undefined,
    CreatedBy: r.created_by,
    CreatedTime: iso(r.created_at),
    LastModifiedBy: r.last_modified_by,
    LastModifiedTime: iso(r.modified_at),
    ActualStartTime: iso(r.actual_start_at),
    ActualEndTime: iso(r.actual_end_at),
    PlannedStartTime: iso(r.planned_start_at),
    PlannedEndTime: iso(r.planned_end_at),
  };
  // Searchable operational data is OpsData too (the /aws/ keys stay out).
  for (const [k, v] of Object.entries(JSON.parse(r.operational_data) as OperationalData)) {
    if (v.Type === "SearchableString" && !k.startsWith("/aws/") && !(k in a)) a[k] = String(v.Value ?? "");
  }
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Attrs;
}

/** The entities of one type (loaded once per request). */
async function entitiesOf(ctx: RequestContext, typeName: string, cache: Map<string, Entity[]>): Promise<Entity[]> {
  const hit = cache.get(typeName);
  if (hit) return hit;
  let out: Entity[];
  if (typeName === OPS_ITEM) {
    const rows = await opsDb(ctx.services.db).selectFrom("ops_items").selectAll().where(inScope(ctx.scope)).orderBy("ops_item_id").execute();
    out = rows.map((r) => ({ id: r.ops_item_id, captureTime: iso(r.modified_at) ?? "", entries: [opsItemAttrs(ctx, r)] }));
  } else {
    const data = await inventoryOpsData(ctx, typeName);
    if (!data) {
      throw new ApiError(
        "InvalidTypeNameException",
        `${typeName} is not OpsData openssm holds: use ${OPS_ITEM}, an inventory type (AWS:InstanceInformation, AWS:Application, ...) or a Custom: inventory type of this account.`,
      );
    }
    out = data.map((d) => ({ id: d.instanceId, captureTime: d.captureTime, entries: d.content }));
  }
  cache.set(typeName, out);
  return out;
}

// ---- filters: Key "<TypeName>.<Attribute>", Type Equal | NotEqual | BeginWith | LessThan | GreaterThan | Exists

interface Filter {
  typeName: string;
  attribute: string;
  type: string;
  values: string[];
}

function parseFilters(filters: OpsFilter[] | undefined): Filter[] {
  return (filters ?? []).map((f) => {
    const key = String(f.Key);
    const dot = key.indexOf(".");
    const typeName = dot > 0 ? key.slice(0, dot) : "";
    const attribute = dot > 0 ? key.slice(dot + 1) : "";
    if (!/^(AWS|Custom):/.test(typeName) || !attribute) {
      throw new ApiError("InvalidFilter", `The filter key ${key} must be <TypeName>.<Attribute>, such as AWS:OpsItem.Status or AWS:Application.Name.`);
    }
    const type = f.Type ?? "Equal";
    const values = (f.Values ?? []).map(String);
    if (type !== "Exists" && values.length === 0) throw new ApiError("InvalidFilter", `The ${key} filter needs at least one value.`);
    return { typeName, attribute, type, values };
  });
}

const numeric = (s: string) => s.trim() !== "" && Number.isFinite(Number(s));
function compare(a: string, b: string): number {
  if (numeric(a) && numeric(b)) return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

function holds(entry: Attrs, f: Filter): boolean {
  const v = entry[f.attribute];
  switch (f.type) {
    case "Exists":
      return v !== undefined;
    case "NotEqual":
      return v !== undefined && !f.values.includes(v);
    case "BeginWith":
      return v !== undefined && f.values.some((x) => v.startsWith(x));
    case "LessThan":
      return v !== undefined && f.values.some((x) => compare(v, x) < 0);
    case "GreaterThan":
      return v !== undefined && f.values.some((x) => compare(v, x) > 0);
    default:
      return v !== undefined && f.values.includes(v);
  }
}

/**
 * The entities of `typeName` that pass the filters, with only their entries that pass the filters on
 * that type. Filters on another type narrow by entity id (a node's other inventory types).
 */
async function filtered(ctx: RequestContext, typeName: string, filters: Filter[], cache: Map<string, Entity[]>): Promise<Entity[]> {
  let entities = await entitiesOf(ctx, typeName, cache);
  const own = filters.filter((f) => f.typeName === typeName);
  if (own.length) {
    entities = entities.map((e) => ({ ...e, entries: e.entries.filter((x) => own.every((f) => holds(x, f))) })).filter((e) => e.entries.length > 0);
  }
  const others = [...new Set(filters.filter((f) => f.typeName !== typeName).map((f) => f.typeName))];
  for (const other of others) {
    if ((other === OPS_ITEM) !== (typeName === OPS_ITEM)) {
      throw new ApiError("InvalidFilter", `A filter on ${other} cannot narrow ${typeName}: OpsItems and nodes' inventory are different entities.`);
    }
    const group = filters.filter((f) => f.typeName === other);
    const pass = new Set((await entitiesOf(ctx, other, cache)).filter((e) => e.entries.some((x) => group.every((f) => holds(x, f)))).map((e) => e.id));
    entities = entities.filter((e) => pass.has(e.id));
  }
  return entities;
}

// ---- aggregators

const sortedKeys = <T>(m: Map<string, T>) => [...m.keys()].sort(compare);

function aggregatorProblem(a: OpsAggregator, depth: number): string | null {
  if (depth > 1 && a.Aggregators?.length) return "aggregators nest at most two levels deep";
  const type = a.AggregatorType ?? "count";
  if (type !== "count" && type !== "sum") return `AggregatorType ${type}: openssm counts (count) and sums (sum); it has no range aggregator`;
  if (!a.TypeName) return "each aggregator needs a TypeName (AWS:OpsItem, or an inventory type)";
  if (type === "sum" && !a.AttributeName) return "a sum aggregator needs the AttributeName it sums";
  if (!a.AttributeName && a.Aggregators?.length) return "nested aggregators need an AttributeName on the aggregator they split";
  return null;
}

/** One aggregator's entities: per value of its attribute (count), or one (a count of all, or a sum). */
async function aggregate(ctx: RequestContext, agg: OpsAggregator, outer: Filter[], cache: Map<string, Entity[]>, depth = 0): Promise<OpsEntity[]> {
  const problem = aggregatorProblem(agg, depth);
  if (problem) throw new ApiError("InvalidAggregatorException", `Invalid aggregator: ${problem}.`);
  const typeName = String(agg.TypeName);
  const attribute = agg.AttributeName;
  const filters = [...outer, ...parseFilters(agg.Filters)];
  const entities = await filtered(ctx, typeName, filters, cache);
  const rows = entities.flatMap((e) => e.entries.map((entry) => ({ id: e.id, entry })));
  const data = (content: Attrs[]): OpsEntity["Data"] => ({ [typeName]: { Content: content } });
  if (agg.AggregatorType === "sum") {
    const sum = (rs: typeof rows) => rs.reduce((n, r) => n + (numeric(r.entry[String(attribute)] ?? "") ? Number(r.entry[String(attribute)]) : 0), 0);
    if (!agg.Aggregators?.length) return [{ Id: `${typeName}.${attribute}`, Data: data([{ Sum: String(sum(rows)) }]) }];
    // A sum split by the nested aggregators' attributes.
    const out: OpsEntity[] = [];
    for (const nested of agg.Aggregators) {
      const by = String(nested.AttributeName ?? "");
      const groups = new Map<string, typeof rows>();
      for (const r of rows) if (r.entry[by] !== undefined) groups.set(r.entry[by], [...(groups.get(r.entry[by]) ?? []), r]);
      for (const k of sortedKeys(groups)) out.push({ Id: k, Data: data([{ [by]: k, Sum: String(sum(groups.get(k) ?? [])) }]) });
    }
    return out;
  }
  // count: OpsItems are counted as items; inventory entries count the nodes that hold them.
  const count = (rs: typeof rows) => String(new Set(rs.map((r) => r.id)).size);
  if (!attribute) return [{ Id: typeName, Data: data([{ Count: count(rows) }]) }];
  const groups = new Map<string, typeof rows>();
  for (const r of rows) if (r.entry[attribute] !== undefined) groups.set(r.entry[attribute], [...(groups.get(r.entry[attribute]) ?? []), r]);
  const out: OpsEntity[] = [];
  for (const value of sortedKeys(groups)) {
    const group = groups.get(value) ?? [];
    if (!agg.Aggregators?.length) {
      out.push({ Id: value, Data: data([{ [attribute]: value, Count: count(group) }]) });
      continue;
    }
    const content: Attrs[] = [];
    for (const nested of agg.Aggregators) {
      const problemInner = aggregatorProblem(nested, depth + 1);
      if (problemInner) throw new ApiError("InvalidAggregatorException", `Invalid nested aggregator: ${problemInner}.`);
      if (nested.TypeName !== typeName)
        throw new ApiError("InvalidAggregatorException", `A nested aggregator splits ${typeName}; give it TypeName ${typeName}.`);
      const by = nested.AttributeName;
      if (!by) {
        content.push({ [attribute]: value, Count: count(group) });
        continue;
      }
      const inner = parseFilters(nested.Filters);
      const split = new Map<string, typeof rows>();
      for (const r of group) {
        if (r.entry[by] === undefined || !inner.every((f) => f.typeName !== typeName || holds(r.entry, f))) continue;
        split.set(r.entry[by], [...(split.get(r.entry[by]) ?? []), r]);
      }
      for (const w of sortedKeys(split)) content.push({ [attribute]: value, [by]: w, Count: count(split.get(w) ?? []) });
    }
    out.push({ Id: value, Data: data(content) });
  }
  return out;
}

export const getOpsSummary = op<GetOpsSummaryRequest, GetOpsSummaryResult>({
  service: "ssm",
  name: "GetOpsSummary",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    if (input.SyncName !== undefined) {
      throw new ApiError(
        "ResourceDataSyncNotFoundException",
        `openssm has no resource data sync ${input.SyncName}: it summarizes this account and region's own OpsData; leave SyncName out.`,
        400,
        { SyncName: input.SyncName },
      );
    }
    const cache = new Map<string, Entity[]>();
    const filters = parseFilters(input.Filters);
    let entities: OpsEntity[] = [];
    if (input.Aggregators?.length) {
      for (const agg of input.Aggregators) entities.push(...(await aggregate(ctx, agg, filters, cache)));
    } else {
      // The entities themselves, with the data of each type asked for (AWS:OpsItem when none is).
      const types = (input.ResultAttributes ?? []).map((r) => String(r.TypeName));
      if (!types.length) types.push(OPS_ITEM);
      if (types.includes(OPS_ITEM) && types.length > 1) {
        throw new ApiError(
          "InvalidTypeNameException",
          `ResultAttributes mixes ${OPS_ITEM} with inventory types; ask for OpsItems and nodes' inventory in separate calls.`,
        );
      }
      const first = await filtered(ctx, types[0], filters, cache);
      const rest = await Promise.all(types.slice(1).map(async (t) => new Map((await entitiesOf(ctx, t, cache)).map((e) => [e.id, e]))));
      entities = first.map((e) => ({
        Id: e.id,
        Data: Object.fromEntries([
          [types[0], { CaptureTime: e.captureTime, Content: e.entries }],
          ...types.slice(1).flatMap((t, i) => {
            const other = rest[i].get(e.id);
            return other ? [[t, { CaptureTime: other.captureTime, Content: other.entries }]] : [];
          }),
        ]),
      }));
    }
    const indexed = entities.map((e, i) => ({ e, key: String(i).padStart(8, "0") }));
    const page = pageOf(ctx, indexed, (x) => x.key, input, {
      query: [input.Filters ?? [], input.Aggregators ?? [], input.ResultAttributes ?? []],
      defaultSize: 50,
    });
    return { Entities: page.items.map((x) => x.e), NextToken: page.nextToken };
  },
});

import type {
  GetInventoryRequest,
  GetInventoryResult,
  GetInventorySchemaRequest,
  GetInventorySchemaResult,
  InventoryItemSchema,
  InventoryResultEntity,
  ListInventoryEntriesRequest,
  ListInventoryEntriesResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { isNumber, pageOf, pageRequest } from "../../http/paging.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { nodeArn, nodeTags, registeredNodeFacts } from "../nodes/index.js";
import { satisfies, type Operator } from "./compare.js";
import { aggregate, entityData, instanceInformation, isoSeconds, loadFleet, matchingNodes, parseFilters } from "./query.js";
import { AWS_TYPES, INSTANCE_INFORMATION, type TypeSchema } from "./schemas.js";
import { getItemWithContent, listItems } from "./store.js";
import { customSchemas, schemaFor, splitKey } from "./types.js";

/** GetInventory: nodes that match the filters with the data asked for, or counts (aggregators). */
export const getInventory = op<GetInventoryRequest, GetInventoryResult>({
  service: "ssm",
  name: "GetInventory",
  resources: ANY_RESOURCE,
  readOnly: true,
  async handle(ctx, input) {
    const filters = await parseFilters(ctx, input.Filters);
    const aggregators = input.Aggregators ?? [];
    if (!aggregators.length && filters.some((f) => f.op === "Exists")) {
      throw new ApiError("InvalidFilter", "The Exists filter type is used with aggregators: add Aggregators, or use another filter type.");
    }
    let resultType = INSTANCE_INFORMATION;
    if (input.ResultAttributes?.length) {
      const typeName = String(input.ResultAttributes[0].TypeName);
      if (!(await schemaFor(ctx.services.db, ctx, typeName))) {
        throw new ApiError("InvalidResultAttributeException", `${typeName} is not an inventory type of this account: see GetInventorySchema.`);
      }
      resultType = typeName;
    }
    const fleet = await loadFleet(ctx);
    const matched = await matchingNodes(ctx, fleet, filters);
    if (aggregators.length) {
      const entities: InventoryResultEntity[] = [];
      for (const agg of aggregators) {
        const r = await aggregate(ctx, fleet, agg, matched);
        entities.push({
          Id: String(agg.Expression),
          Data: { [r.typeName]: { TypeName: r.typeName, SchemaVersion: r.schemaVersion, CaptureTime: isoSeconds(ctx.now().getTime()), Content: r.content } },
        });
      }
      return { Entities: entities };
    }
    const paging = pageRequest(ctx, input, { query: [input.Filters ?? [], resultType], defaultSize: 50 });
    const after = paging.after;
    let ids = after === undefined ? matched : matched.filter((id) => id > after);
    if (resultType !== INSTANCE_INFORMATION) {
      // Only the nodes that have data of the type asked for; a page's worth at a time.
      const out: string[] = [];
      for (let i = 0; i < ids.length && out.length <= paging.size; i += 200) {
        const chunk = ids.slice(i, i + 200);
        // Which have it: the items alone, without their entries.
        const have = new Set((await listItems(ctx.services.db, ctx, { instanceIds: chunk, types: [resultType] })).map((r) => r.instance_id));
        for (const id of chunk) if (have.has(id) && out.length <= paging.size) out.push(id);
      }
      ids = out;
    }
    const page = paging.finish(ids.slice(0, paging.size + 1), (id) => id);
    const data = await entityData(ctx, fleet, page.items, resultType);
    return {
      Entities: page.items.map((id) => {
        const item = data.get(id);
        return { Id: id, Data: item ? { [resultType]: item } : {} };
      }),
      NextToken: page.nextToken,
    };
  },
});

function schemaView(t: TypeSchema): InventoryItemSchema {
  return {
    TypeName: t.typeName,
    Version: t.version,
    DisplayName: t.displayName,
    Attributes: t.attributes.map((a) => ({ Name: a.name, DataType: a.dataType })),
  };
}

/** GetInventorySchema: the AWS types and this account's Custom: types, their attributes and data types. */
export const getInventorySchema = op<GetInventorySchemaRequest, GetInventorySchemaResult>({
  service: "ssm",
  name: "GetInventorySchema",
  resources: ANY_RESOURCE,
  readOnly: true,
  async handle(ctx, input) {
    let all = [...AWS_TYPES, ...(await customSchemas(ctx.services.db, ctx))];
    if (input.TypeName) {
      const typeName = input.TypeName;
      all = all.filter((t) => t.typeName === typeName);
      if (!all.length) throw new ApiError("InvalidTypeNameException", `${typeName} is not an inventory type of this account: leave TypeName out to list them.`);
    }
    if (input.SubType) all = [];
    let views = all.map(schemaView);
    if (input.Aggregator) {
      views = all
        .map((t) => ({ ...schemaView(t), Attributes: t.attributes.filter((a) => a.aggregate).map((a) => ({ Name: a.name, DataType: a.dataType })) }))
        .filter((v) => (v.Attributes?.length ?? 0) > 0);
    }
    const page = pageOf(ctx, views, (v) => String(v.TypeName), input, { query: [input.TypeName, input.Aggregator, input.SubType], defaultSize: 200 });
    return { Schemas: page.items, NextToken: page.nextToken };
  },
});

/** ListInventoryEntries: one node's entries of one type, filtered by attribute. */
export const listInventoryEntries = op<ListInventoryEntriesRequest, ListInventoryEntriesResult>({
  service: "ssm",
  name: "ListInventoryEntries",
  resources: (ctx, input) => [{ arn: nodeArn(ctx, String(input.InstanceId)), tags: () => nodeTags(ctx.services.db, ctx, String(input.InstanceId)) }],
  readOnly: true,
  async handle(ctx, input) {
    const instanceId = String(input.InstanceId);
    const typeName = String(input.TypeName);
    const [node] = await registeredNodeFacts(ctx.services.db, ctx, [instanceId]);
    if (!node) throw new ApiError("InvalidInstanceId", `${instanceId} is not a registered managed node of this account in ${ctx.region}.`);
    const schema = await schemaFor(ctx.services.db, ctx, typeName);
    if (!schema) throw new ApiError("InvalidTypeNameException", `${typeName} is not an inventory type of this account: see GetInventorySchema.`);
    const filters = (input.Filters ?? []).map((f) => {
      const key = String(f.Key);
      const split = splitKey(key);
      const attribute = split.attribute !== undefined && split.typeName === typeName ? split.attribute : key;
      if (!schema.attributes.some((a) => a.name === attribute)) {
        throw new ApiError("InvalidFilter", `${typeName} has no attribute ${key}; its attributes: ${schema.attributes.map((a) => a.name).join(", ")}.`);
      }
      return { attribute, op: (f.Type ?? "Equal") as Operator, values: (f.Values ?? []).map(String) };
    });
    const paging = pageRequest<number>(ctx, input, { query: [instanceId, typeName, input.Filters ?? []], defaultSize: 50, isKey: isNumber });
    if (typeName === INSTANCE_INFORMATION) {
      const entry = instanceInformation(node);
      const ok = filters.every((f) => satisfies(entry[f.attribute], f.op, f.values));
      return {
        TypeName: typeName,
        InstanceId: instanceId,
        SchemaVersion: "1.0",
        CaptureTime: isoSeconds(node.lastPingAt ?? ctx.now().getTime()),
        Entries: ok && paging.after === undefined ? [entry] : [],
      };
    }
    const item = await getItemWithContent(ctx.services.db, ctx, instanceId, typeName);
    if (!item) return { TypeName: typeName, InstanceId: instanceId, Entries: [] };
    const after = paging.after ?? -1;
    const kept = (JSON.parse(item.content) as Record<string, string>[])
      .map((attrs, no) => ({ no, attrs }))
      .filter((r) => r.no > after && filters.every((f) => satisfies(r.attrs[f.attribute], f.op, f.values)));
    const page = paging.finish(kept.slice(0, paging.size + 1), (r) => r.no);
    return {
      TypeName: typeName,
      InstanceId: instanceId,
      SchemaVersion: item.schema_version,
      CaptureTime: item.capture_time,
      Entries: page.items.map((r) => r.attrs),
      NextToken: page.nextToken,
    };
  },
});

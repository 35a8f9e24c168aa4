import type { DescribeInstancePropertiesRequest, DescribeInstancePropertiesResult, InstanceProperty } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { getTags } from "../tags/store.js";
import { compareVersions } from "@openssm/protocol";
import { instanceInformation, latestAgentVersions } from "./instance-view.js";
import { pageRequest } from "../../http/paging.js";
import { NODE_RESOURCE_TYPE } from "./store.js";
import { type InstanceRow, nodeDb } from "./tables.js";
import { inScope } from "../../storage/scope.js";

type Operator = "Equal" | "NotEqual" | "BeginWith" | "LessThan" | "GreaterThan";

interface PropertyFilter {
  key: string;
  values: string[];
  operator: Operator;
}

/** Property keys a filter may name, and how to read them from an InstanceProperty. */
const PROPERTY_KEYS: Record<string, (p: InstanceProperty) => string | undefined> = {
  InstanceIds: (p) => p.InstanceId,
  AgentVersion: (p) => p.AgentVersion,
  PingStatus: (p) => p.PingStatus,
  PlatformTypes: (p) => p.PlatformType,
  PlatformType: (p) => p.PlatformType,
  PlatformName: (p) => p.PlatformName,
  PlatformVersion: (p) => p.PlatformVersion,
  ActivationIds: (p) => p.ActivationId,
  IamRole: (p) => p.IamRole,
  ResourceType: (p) => p.ResourceType,
  AssociationStatus: (p) => p.AssociationStatus,
  ComputerName: (p) => p.ComputerName,
  IPAddress: (p) => p.IPAddress,
  Name: (p) => p.Name,
};

function readFilters(input: DescribeInstancePropertiesRequest): PropertyFilter[] {
  if (input.FiltersWithOperator?.length && input.InstancePropertyFilterList?.length) {
    throw new ApiError("InvalidInstancePropertyFilterValue", "Use either FiltersWithOperator or InstancePropertyFilterList, not both in one request.");
  }
  const list: PropertyFilter[] = input.FiltersWithOperator?.length
    ? input.FiltersWithOperator.map((f) => ({ key: String(f.Key), values: (f.Values ?? []).map(String), operator: (f.Operator ?? "Equal") as Operator }))
    : (input.InstancePropertyFilterList ?? []).map((f) => ({ key: String(f.key), values: (f.valueSet ?? []).map(String), operator: "Equal" as Operator }));
  for (const f of list) {
    if (f.key === "DocumentName") {
      throw new ApiError(
        "InvalidFilterKey",
        "openssm cannot filter managed nodes by DocumentName; filter by InstanceIds, PingStatus, PlatformTypes, AgentVersion, tags and the like.",
      );
    }
    if (!f.key.startsWith("tag:") && !PROPERTY_KEYS[f.key]) {
      throw new ApiError("InvalidFilterKey", `${f.key} is not a managed node property filter; use ${Object.keys(PROPERTY_KEYS).join(", ")} or tag:<key>.`);
    }
    if ((f.operator === "LessThan" || f.operator === "GreaterThan") && f.values.length !== 1) {
      throw new ApiError("InvalidInstancePropertyFilterValue", `The ${f.operator} operator takes exactly one value for ${f.key}.`);
    }
  }
  return list;
}

function holds(actual: string | undefined, f: PropertyFilter): boolean {
  const cmp = (a: string, b: string) => (f.key === "AgentVersion" ? compareVersions(a, b) : a < b ? -1 : a > b ? 1 : 0);
  switch (f.operator) {
    case "Equal":
      return actual !== undefined && f.values.includes(actual);
    case "NotEqual":
      return actual === undefined || !f.values.includes(actual);
    case "BeginWith":
      return actual !== undefined && f.values.some((v) => actual.startsWith(v));
    case "LessThan":
      return actual !== undefined && cmp(actual, f.values[0]) < 0;
    case "GreaterThan":
      return actual !== undefined && cmp(actual, f.values[0]) > 0;
  }
}

/** The console's node properties: the instance information of each registered node, filtered with operators. */
export const describeInstanceProperties = op<DescribeInstancePropertiesRequest, DescribeInstancePropertiesResult>({
  service: "ssm",
  name: "DescribeInstanceProperties",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const filters = readFilters(input);
    const db = ctx.services.db;
    const now = ctx.now().getTime();
    const paging = pageRequest(ctx, input, { query: filters, defaultSize: 50 });
    const after = paging.after;
    let q = nodeDb(db).selectFrom("nodes_instances").selectAll().where(inScope(ctx)).where("deregistered_at", "is", null);
    if (after) q = q.where("instance_id", ">", after);
    const rows: InstanceRow[] = await q.orderBy("instance_id").execute();
    const latest = await latestAgentVersions(db, ctx);
    const needTags = filters.some((f) => f.key.startsWith("tag:"));
    const limit = paging.size;
    const page: InstanceProperty[] = [];
    let more = false;
    for (const row of rows) {
      const p: InstanceProperty = { ...instanceInformation(row, now, latest), ResourceType: "ManagedInstance" };
      const tags = needTags ? await getTags(db, ctx, NODE_RESOURCE_TYPE, row.instance_id) : {};
      const ok = filters.every((f) => holds(f.key.startsWith("tag:") ? tags[f.key.slice(4)] : PROPERTY_KEYS[f.key](p), f));
      if (!ok) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(p);
    }
    return {
      InstanceProperties: page,
      NextToken: more ? paging.tokenAfter(String(page[page.length - 1].InstanceId)) : undefined,
    };
  },
});

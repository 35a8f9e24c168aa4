import type { ListNodesRequest, ListNodesResult, ListNodesSummaryRequest, ListNodesSummaryResult, Node, NodeAggregator, NodeFilter } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { pingStatus } from "./ping.js";
import { isNumber, pageRequest } from "../../http/paging.js";
import { type InstanceRow, nodeDb } from "./tables.js";
import { inScope } from "../../storage/scope.js";

/** The unified console's view of a node: the stored instance information as ListNodes shapes it. */
function nodeAttributes(row: InstanceRow, now: number): Record<string, string | undefined> {
  const online = pingStatus(row.last_ping_at, false, now) === "Online";
  return {
    AgentType: row.agent_name ?? undefined,
    AgentVersion: row.agent_version ?? undefined,
    ComputerName: row.computer_name ?? undefined,
    InstanceId: row.instance_id,
    // A registered hybrid node is Active until deregistered (deregistered nodes are not listed).
    InstanceStatus: "Active",
    IpAddress: row.ip_address ?? undefined,
    // Managed while its agent is in contact (Online); Unmanaged once the connection is lost.
    ManagedStatus: online ? "Managed" : "Unmanaged",
    PlatformName: row.platform_name ?? undefined,
    PlatformType: row.platform_type ?? undefined,
    PlatformVersion: row.platform_version ?? undefined,
    ResourceType: "ManagedInstance",
    Region: row.region,
    AccountId: row.account_id,
  };
}

function toNode(row: InstanceRow, now: number): Node {
  const a = nodeAttributes(row, now);
  return {
    Id: row.instance_id,
    CaptureTime: new Date(row.last_ping_at ?? row.registered_at),
    Owner: { AccountId: row.account_id },
    Region: row.region,
    NodeType: {
      Instance: {
        AgentType: a.AgentType,
        AgentVersion: a.AgentVersion,
        ComputerName: a.ComputerName,
        InstanceStatus: a.InstanceStatus,
        IpAddress: a.IpAddress,
        ManagedStatus: a.ManagedStatus as "Managed" | "Unmanaged",
        PlatformName: a.PlatformName,
        PlatformType: a.PlatformType as "Linux" | "Windows" | "MacOS" | undefined,
        PlatformVersion: a.PlatformVersion,
        ResourceType: "ManagedInstance",
      },
    },
  };
}

function matches(attrs: Record<string, string | undefined>, f: NodeFilter): boolean {
  const key = String(f.Key);
  const values = (f.Values ?? []).map(String);
  const type = f.Type ?? "Equal";
  if (key === "ManagedStatus" && values.includes("All")) return type !== "NotEqual";
  if (key === "OrganizationalUnitId" || key === "OrganizationalUnitPath") return type === "NotEqual"; // no AWS Organizations: no node is in an OU
  const actual = attrs[key];
  const hit = actual !== undefined && (type === "BeginWith" ? values.some((v) => actual.startsWith(v)) : values.includes(actual));
  return type === "NotEqual" ? !hit : hit;
}

function checkSync(syncName: string | undefined): void {
  if (syncName !== undefined) {
    throw new ApiError(
      "ResourceDataSyncNotFoundException",
      `openssm has no resource data sync ${syncName}; ListNodes and ListNodesSummary list the nodes of the caller's account and region without SyncName.`,
    );
  }
}

async function nodesMatching(
  ctx: RequestContext,
  filters: NodeFilter[] | undefined,
): Promise<{ row: InstanceRow; attrs: Record<string, string | undefined> }[]> {
  const now = ctx.now().getTime();
  const rows = await nodeDb(ctx.services.db)
    .selectFrom("nodes_instances")
    .selectAll()
    .where(inScope(ctx))
    .where("deregistered_at", "is", null)
    .orderBy("instance_id")
    .execute();
  return rows.map((row) => ({ row, attrs: nodeAttributes(row, now) })).filter(({ attrs }) => (filters ?? []).every((f) => matches(attrs, f)));
}

export const listNodes = op<ListNodesRequest, ListNodesResult>({
  service: "ssm",
  name: "ListNodes",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    checkSync(input.SyncName);
    const paging = pageRequest(ctx, input, { query: input.Filters ?? null, defaultSize: 50 });
    const after = paging.after;
    const all = (await nodesMatching(ctx, input.Filters)).filter(({ row }) => after === undefined || row.instance_id > after);
    const { items, nextToken } = paging.finish(all.slice(0, paging.size + 1), ({ row }) => row.instance_id);
    const now = ctx.now().getTime();
    return { Nodes: items.map(({ row }) => toNode(row, now)), NextToken: nextToken };
  },
});

function checkAggregators(aggregators: NodeAggregator[] | undefined, depth: number): void {
  if (!aggregators?.length) {
    if (depth === 0)
      throw new ApiError(
        "InvalidAggregatorException",
        "Give at least one aggregator (for example AggregatorType=Count, TypeName=Instance, AttributeName=PlatformType).",
      );
    return;
  }
  if (depth > 1) throw new ApiError("InvalidAggregatorException", "Aggregators can be nested one level deep at most.");
  const names = new Set<string>();
  for (const a of aggregators) {
    if (names.has(String(a.AttributeName)))
      throw new ApiError("InvalidAggregatorException", `The attribute ${a.AttributeName} is aggregated twice at one level.`);
    names.add(String(a.AttributeName));
    checkAggregators(a.Aggregators, depth + 1);
  }
}

/** Counts of nodes per value of the aggregated attribute (and per value of a nested aggregator's attribute). */
function summarize(items: Record<string, string | undefined>[], aggregators: NodeAggregator[], prefix: Record<string, string>): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const agg of aggregators) {
    const attr = String(agg.AttributeName);
    const groups = new Map<string, Record<string, string | undefined>[]>();
    for (const it of items) {
      const v = it[attr] ?? "";
      const g = groups.get(v);
      if (g) g.push(it);
      else groups.set(v, [it]);
    }
    for (const [value, group] of [...groups.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      const here = { ...prefix, [attr]: value };
      if (agg.Aggregators?.length) out.push(...summarize(group, agg.Aggregators, here));
      else out.push({ ...here, Count: String(group.length) });
    }
  }
  return out;
}

export const listNodesSummary = op<ListNodesSummaryRequest, ListNodesSummaryResult>({
  service: "ssm",
  name: "ListNodesSummary",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    checkSync(input.SyncName);
    checkAggregators(input.Aggregators, 0);
    const items = (await nodesMatching(ctx, input.Filters)).map(({ attrs }) => attrs);
    const summary = summarize(items, input.Aggregators ?? [], {});
    // Summary rows have no key of their own: their position in the (deterministic) summary is the key.
    const paging = pageRequest<number>(ctx, input, { query: [input.Filters ?? null, input.Aggregators ?? null], defaultSize: 50, isKey: isNumber });
    const start = paging.after ?? 0;
    const page = summary.slice(start, start + paging.size);
    return { Summary: page, NextToken: start + paging.size < summary.length ? paging.tokenAfter(start + paging.size) : undefined };
  },
});

export const listNodesOperations = [listNodes, listNodesSummary];

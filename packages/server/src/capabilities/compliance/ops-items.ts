import type {
  ComplianceItem,
  ComplianceStringFilter,
  ComplianceSummaryItem,
  ListComplianceItemsRequest,
  ListComplianceItemsResult,
  ListComplianceSummariesRequest,
  ListComplianceSummariesResult,
  ListResourceComplianceSummariesRequest,
  ListResourceComplianceSummariesResult,
  PutComplianceItemsRequest,
  PutComplianceItemsResult,
  ResourceComplianceSummaryItem,
  SeveritySummary,
} from "@aws-sdk/client-ssm";
import { nodeIdOf } from "../../agents/index.js";
import { ApiError } from "../../errors.js";
import { offThread } from "../../http/body-threads.js";
import { pageOf } from "../../http/paging.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { type NodeFacts, nodeArn, nodeTags, registeredNodeFacts } from "../nodes/index.js";
import { type ItemRow, SEVERITIES, type SummaryRow, shownId, typesOf, writeCompliance } from "./record.js";
import { preparePutComplianceItems } from "./items-check.js";
import { complianceDb } from "./tables.js";

/** Custom: compliance types one resource may have. */
const MAX_CUSTOM_TYPES = 10;

function epochMs(value: unknown): number {
  if (typeof value === "number") return value * 1000;
  if (value instanceof Date) return value.getTime();
  return Date.parse(String(value));
}

/** PutComplianceItems: a resource's items of one compliance type, COMPLETE (replace all) or PARTIAL. */
export const putComplianceItems = op<PutComplianceItemsRequest, PutComplianceItemsResult>({
  service: "ssm",
  name: "PutComplianceItems",
  resources: (ctx, input) => [{ arn: nodeArn(ctx, String(input.ResourceId)), tags: () => nodeTags(ctx.services.db, ctx, String(input.ResourceId)) }],
  offThread: offThread(import.meta.url, "items-check", preparePutComplianceItems),
  async handle(ctx, input) {
    const resourceType = String(input.ResourceType);
    const resourceId = String(input.ResourceId);
    const complianceType = String(input.ComplianceType);
    if (resourceType !== "ManagedInstance") {
      throw new ApiError("InvalidResourceType", `ResourceType ${resourceType} is not supported: compliance is recorded for ManagedInstance resources.`);
    }
    const caller = nodeIdOf(ctx.principal);
    if (caller && caller !== resourceId)
      throw new ApiError("AccessDeniedException", `Managed node ${caller} may only report its own compliance, not that of ${resourceId}.`);
    const [node] = await registeredNodeFacts(ctx.services.db, ctx, [resourceId]);
    if (!node) throw new ApiError("InvalidResourceId", `${resourceId} is not a registered managed node of this account in ${ctx.region}.`);
    const time = epochMs(input.ExecutionSummary?.ExecutionTime);
    if (Number.isNaN(time)) throw new ApiError("ValidationException", "ExecutionSummary.ExecutionTime is not a valid timestamp.");
    // The items' own limits were checked by preparePutComplianceItems, where the body was parsed.
    const items = input.Items ?? [];
    if (complianceType === "Association" && caller) {
      // The node's own report of its associations: State Manager already records association
      // compliance from UpdateInstanceAssociationStatus, with each association's ComplianceSeverity.
      return {};
    }
    if (complianceType.startsWith("Custom:")) {
      const types = await typesOf(ctx.services.db, ctx, resourceType, resourceId);
      const custom = types.filter((t) => t.startsWith("Custom:"));
      if (!custom.includes(complianceType) && custom.length >= MAX_CUSTOM_TYPES) {
        throw new ApiError(
          "ComplianceTypeCountLimitExceededException",
          `${resourceId} already has ${MAX_CUSTOM_TYPES} Custom: compliance types (${custom.join(", ")}); reuse one of them.`,
        );
      }
    }
    await ctx.transaction((tx) =>
      writeCompliance(
        tx,
        ctx,
        {
          resourceType,
          resourceId,
          complianceType,
          execution: { time, id: input.ExecutionSummary?.ExecutionId, type: input.ExecutionSummary?.ExecutionType },
          items: items.map((i) => ({ Id: i.Id, Title: i.Title, Severity: String(i.Severity), Status: String(i.Status), Details: i.Details })),
          upload: input.UploadType === "PARTIAL" ? "PARTIAL" : "COMPLETE",
          itemContentHash: input.ItemContentHash,
        },
        ctx.services.clock.now(),
      ),
    );
    return {};
  },
});

type Operator = "EQUAL" | "NOT_EQUAL" | "BEGIN_WITH" | "LESS_THAN" | "GREATER_THAN";

function test(value: string | undefined, f: ComplianceStringFilter): boolean {
  const values = f.Values ?? [];
  switch ((f.Type ?? "EQUAL") as Operator) {
    case "EQUAL":
      return value !== undefined && values.includes(value);
    case "NOT_EQUAL":
      return values.every((v) => v !== value);
    case "BEGIN_WITH":
      return value !== undefined && values.some((v) => value.startsWith(v));
    case "LESS_THAN":
      return value !== undefined && values.some((v) => value < v);
    case "GREATER_THAN":
      return value !== undefined && values.some((v) => value > v);
  }
}

/** A node's AWS:InstanceInformation attributes (for the summaries' AWS:InstanceInformation.* filters). */
function nodeAttribute(node: NodeFacts | undefined, name: string): string | undefined {
  if (!node) return undefined;
  const attrs: Record<string, string | undefined> = {
    PlatformType: node.platformType,
    PlatformName: node.platformName,
    PlatformVersion: node.platformVersion,
    ComputerName: node.computerName,
    AgentVersion: node.agentVersion,
    AgentType: node.agentName,
    IpAddress: node.ipAddress,
    InstanceId: node.instanceId,
    ResourceType: "ManagedInstance",
  };
  return attrs[name];
}

const ITEM_KEYS = ["ComplianceType", "Status", "Severity", "Id", "Title", "ExecutionId", "ExecutionType", "ResourceId", "ResourceType"];
const SUMMARY_KEYS = ["ComplianceType", "Status", "OverallSeverity", "ExecutionId", "ExecutionType", "InstanceId", "ResourceId", "ResourceType", "PatchGroup"];

function checkKeys(filters: ComplianceStringFilter[], allowed: string[], detailKeys: boolean): void {
  for (const f of filters) {
    const key = String(f.Key);
    if (allowed.includes(key) || key.startsWith("AWS:InstanceInformation.") || detailKeys) continue;
    throw new ApiError("InvalidFilter", `${key} is not a filter key here; use ${allowed.join(", ")} or AWS:InstanceInformation.<attribute>.`);
  }
}

function itemView(r: ItemRow): ComplianceItem {
  return {
    ComplianceType: r.compliance_type,
    ResourceType: r.resource_type,
    ResourceId: r.resource_id,
    Id: shownId(r.item_id),
    Title: r.title ?? undefined,
    Status: r.status as ComplianceItem["Status"],
    Severity: r.severity as ComplianceItem["Severity"],
    ExecutionSummary: { ExecutionTime: new Date(r.execution_time), ExecutionId: r.execution_id ?? undefined, ExecutionType: r.execution_type ?? undefined },
    Details: r.details ? (JSON.parse(r.details) as Record<string, string>) : undefined,
  };
}

async function nodesById(ctx: RequestContext): Promise<Map<string, NodeFacts>> {
  return new Map((await registeredNodeFacts(ctx.services.db, ctx)).map((n) => [n.instanceId, n]));
}

/** ListComplianceItems: items of some resources, filtered by their fields or Details. */
export const listComplianceItems = op<ListComplianceItemsRequest, ListComplianceItemsResult>({
  service: "ssm",
  name: "ListComplianceItems",
  resources: ANY_RESOURCE,
  readOnly: true,
  async handle(ctx, input) {
    const types = input.ResourceTypes ?? [];
    const bad = types.find((t) => t !== "ManagedInstance");
    if (bad) throw new ApiError("InvalidResourceType", `ResourceType ${bad} is not supported: compliance is recorded for ManagedInstance resources.`);
    const filters = input.Filters ?? [];
    checkKeys(filters, ITEM_KEYS, true);
    let q = complianceDb(ctx.services.db).selectFrom("compliance_items").selectAll().where(inScope(ctx));
    if (input.ResourceIds?.length) q = q.where("resource_id", "in", input.ResourceIds);
    const rows = await q.execute();
    const nodes = filters.some((f) => String(f.Key).startsWith("AWS:InstanceInformation.")) ? await nodesById(ctx) : undefined;
    const kept = rows.filter((r) => {
      const details = r.details ? (JSON.parse(r.details) as Record<string, string>) : {};
      const fields: Record<string, string | undefined> = {
        ComplianceType: r.compliance_type,
        Status: r.status,
        Severity: r.severity,
        Id: shownId(r.item_id),
        Title: r.title ?? undefined,
        ExecutionId: r.execution_id ?? undefined,
        ExecutionType: r.execution_type ?? undefined,
        ResourceId: r.resource_id,
        ResourceType: r.resource_type,
      };
      return filters.every((f) => {
        const key = String(f.Key);
        if (key.startsWith("AWS:InstanceInformation.")) return test(nodeAttribute(nodes?.get(r.resource_id), key.slice(24)), f);
        return test(key in fields ? fields[key] : details[key], f);
      });
    });
    const page = pageOf(ctx, kept, (r) => `${r.resource_id}\u0000${r.compliance_type}\u0000${r.item_id}`, input, {
      query: [input.ResourceIds ?? [], types, filters],
      defaultSize: 10,
    });
    return { ComplianceItems: page.items.map(itemView), NextToken: page.nextToken };
  },
});

function severitySummary(counts: Record<string, number>): SeveritySummary {
  return {
    CriticalCount: counts.CRITICAL ?? 0,
    HighCount: counts.HIGH ?? 0,
    MediumCount: counts.MEDIUM ?? 0,
    LowCount: counts.LOW ?? 0,
    InformationalCount: counts.INFORMATIONAL ?? 0,
    UnspecifiedCount: counts.UNSPECIFIED ?? 0,
  };
}

const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);

/** The summaries that pass the filters (summary fields, or the node's AWS:InstanceInformation). */
async function filteredSummaries(ctx: RequestContext, filters: ComplianceStringFilter[]): Promise<SummaryRow[]> {
  checkKeys(filters, SUMMARY_KEYS, false);
  const rows = await complianceDb(ctx.services.db).selectFrom("compliance_summaries").selectAll().where(inScope(ctx)).execute();
  const nodes = await nodesById(ctx);
  return rows.filter((r) => {
    if (r.resource_type === "ManagedInstance" && !nodes.has(r.resource_id)) return false;
    const fields: Record<string, string | undefined> = {
      ComplianceType: r.compliance_type,
      Status: r.status,
      OverallSeverity: r.overall_severity,
      ExecutionId: r.execution_id ?? undefined,
      ExecutionType: r.execution_type ?? undefined,
      InstanceId: r.resource_id,
      ResourceId: r.resource_id,
      ResourceType: r.resource_type,
    };
    return filters.every((f) => {
      const key = String(f.Key);
      if (key.startsWith("AWS:InstanceInformation.")) return test(nodeAttribute(nodes.get(r.resource_id), key.slice(24)), f);
      if (key === "PatchGroup") return test(undefined, f);
      return test(fields[key], f);
    });
  });
}

/** ListComplianceSummaries: per compliance type, how many resources are compliant and not, by severity. */
export const listComplianceSummaries = op<ListComplianceSummariesRequest, ListComplianceSummariesResult>({
  service: "ssm",
  name: "ListComplianceSummaries",
  resources: ANY_RESOURCE,
  readOnly: true,
  async handle(ctx, input) {
    const rows = await filteredSummaries(ctx, input.Filters ?? []);
    const byType = new Map<string, { compliant: Record<string, number>; non: Record<string, number> }>();
    for (const r of rows) {
      const entry = byType.get(r.compliance_type) ?? { compliant: {}, non: {} };
      const bucket = r.status === "NON_COMPLIANT" ? entry.non : entry.compliant;
      bucket[r.overall_severity] = (bucket[r.overall_severity] ?? 0) + 1;
      byType.set(r.compliance_type, entry);
    }
    const items: ComplianceSummaryItem[] = [...byType].map(([type, e]) => ({
      ComplianceType: type,
      CompliantSummary: { CompliantCount: sum(e.compliant), SeveritySummary: severitySummary(e.compliant) },
      NonCompliantSummary: { NonCompliantCount: sum(e.non), SeveritySummary: severitySummary(e.non) },
    }));
    const page = pageOf(ctx, items, (i) => String(i.ComplianceType), input, { query: input.Filters ?? [], defaultSize: 10 });
    return { ComplianceSummaryItems: page.items, NextToken: page.nextToken };
  },
});

/** ListResourceComplianceSummaries: per resource and compliance type, its status, overall severity and item counts. */
export const listResourceComplianceSummaries = op<ListResourceComplianceSummariesRequest, ListResourceComplianceSummariesResult>({
  service: "ssm",
  name: "ListResourceComplianceSummaries",
  resources: ANY_RESOURCE,
  readOnly: true,
  async handle(ctx, input) {
    const rows = await filteredSummaries(ctx, input.Filters ?? []);
    const items: ResourceComplianceSummaryItem[] = rows.map((r) => {
      const counts = JSON.parse(r.counts) as { COMPLIANT: Record<string, number>; NON_COMPLIANT: Record<string, number> };
      return {
        ComplianceType: r.compliance_type,
        ResourceType: r.resource_type,
        ResourceId: r.resource_id,
        Status: r.status as ResourceComplianceSummaryItem["Status"],
        OverallSeverity: r.overall_severity as ResourceComplianceSummaryItem["OverallSeverity"],
        ExecutionSummary: { ExecutionTime: new Date(r.execution_time), ExecutionId: r.execution_id ?? undefined, ExecutionType: r.execution_type ?? undefined },
        CompliantSummary: { CompliantCount: sum(counts.COMPLIANT), SeveritySummary: severitySummary(counts.COMPLIANT) },
        NonCompliantSummary: { NonCompliantCount: sum(counts.NON_COMPLIANT), SeveritySummary: severitySummary(counts.NON_COMPLIANT) },
      };
    });
    const page = pageOf(ctx, items, (i) => `${i.ResourceId}\u0000${i.ComplianceType}`, input, { query: input.Filters ?? [], defaultSize: 10 });
    return { ResourceComplianceSummaryItems: page.items, NextToken: page.nextToken };
  },
});

export { SEVERITIES };

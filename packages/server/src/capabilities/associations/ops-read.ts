import type {
  Association,
  AssociationExecution,
  AssociationExecutionTarget,
  DescribeAssociationExecutionsRequest,
  DescribeAssociationExecutionsResult,
  DescribeAssociationExecutionTargetsRequest,
  DescribeAssociationExecutionTargetsResult,
  DescribeEffectiveInstanceAssociationsRequest,
  DescribeEffectiveInstanceAssociationsResult,
  DescribeInstanceAssociationsStatusRequest,
  DescribeInstanceAssociationsStatusResult,
  InstanceAssociationStatusInfo,
  ListAssociationsRequest,
  ListAssociationsResult,
  ListAssociationVersionsRequest,
  ListAssociationVersionsResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageOf } from "../../http/paging.js";
import { ANY_RESOURCE, op, type RequestContext } from "../../runtime.js";
import { getDocumentForExecution } from "../documents/index.js";
import { nodeArn, nodeTags, registeredNodeFacts } from "../nodes/index.js";
import { associationArn, findAssociation, versionsOf } from "./ops-manage.js";
import {
  type AssociationRow,
  executionsOf,
  getExecution,
  instancesOf,
  listAssociations,
  nodeAssociations,
  specOf,
  takenByNode,
  targetCounts,
  targetsOf,
} from "./store.js";
import { overviewOf, summary } from "./view.js";

/** ListAssociations: the account's associations, filtered (AWS's filter keys). */
export const listAssociationsOp = op<ListAssociationsRequest, ListAssociationsResult>({
  service: "ssm",
  name: "ListAssociations",
  resources: ANY_RESOURCE,
  readOnly: true,
  async handle(ctx, input) {
    let rows = await listAssociations(ctx.services.db, ctx);
    for (const f of input.AssociationFilterList ?? []) {
      const v = String(f.value);
      switch (f.key) {
        case "InstanceId": {
          const ids = new Set((await nodeAssociations(ctx.services.db, ctx, v)).map((x) => x.a.association_id));
          rows = rows.filter((a) => ids.has(a.association_id) || specOf(a).InstanceId === v);
          break;
        }
        case "Name":
          rows = rows.filter((a) => a.name === v);
          break;
        case "AssociationId":
          rows = rows.filter((a) => a.association_id === v);
          break;
        case "AssociationName":
          rows = rows.filter((a) => a.association_name === v);
          break;
        case "AssociationStatusName": {
          const kept: AssociationRow[] = [];
          for (const a of rows) if (overviewOf(await instancesOf(ctx.services.db, a.association_id)).status === v) kept.push(a);
          rows = kept;
          break;
        }
        case "LastExecutedBefore":
        case "LastExecutedAfter": {
          const t = Date.parse(v);
          if (Number.isNaN(t)) throw new ApiError("ValidationException", `${f.key} takes a date and time such as 2024-05-01T00:00:00Z, not ${v}.`);
          rows = rows.filter((a) => a.last_execution_at !== null && (f.key === "LastExecutedBefore" ? a.last_execution_at < t : a.last_execution_at > t));
          break;
        }
        case "ResourceGroupName":
          rows = [];
          break;
      }
    }
    const page = pageOf(ctx, rows, (a) => a.association_id, input, { query: input.AssociationFilterList ?? [], defaultSize: 50 });
    const items: Association[] = [];
    for (const a of page.items) items.push(await summary(ctx.services.db, a));
    return { Associations: items, NextToken: page.nextToken };
  },
});

const associationRef = async (ctx: RequestContext, input: { AssociationId?: string }) => {
  const row = await findAssociation(ctx, input);
  return { resources: [{ arn: associationArn(ctx, row.association_id) }], prepared: row };
};

export const listAssociationVersions = op<ListAssociationVersionsRequest, ListAssociationVersionsResult, AssociationRow>({
  service: "ssm",
  name: "ListAssociationVersions",
  resources: associationRef,
  readOnly: true,
  async handle(ctx, input, row) {
    const versions = await versionsOf(ctx, row);
    const page = pageOf(ctx, versions, (v) => String(v.AssociationVersion).padStart(10, "0"), input, { query: row.association_id, defaultSize: 50 });
    return { AssociationVersions: page.items, NextToken: page.nextToken };
  },
});

/** "{Failed=1, Success=2}", as AWS writes ResourceCountByStatus. */
function countByStatus(statuses: string[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1);
  return `{${[...counts]
    .sort()
    .map(([k, n]) => `${k}=${n}`)
    .join(", ")}}`;
}

const apiStatus = (s: string) => (s === "Waiting" ? "Pending" : s);

export const describeAssociationExecutions = op<DescribeAssociationExecutionsRequest, DescribeAssociationExecutionsResult, AssociationRow>({
  service: "ssm",
  name: "DescribeAssociationExecutions",
  resources: associationRef,
  readOnly: true,
  async handle(ctx, input, row) {
    let executions = await executionsOf(ctx.services.db, row.association_id);
    for (const f of input.Filters ?? []) {
      const v = String(f.Value);
      if (f.Key === "ExecutionId") executions = executions.filter((e) => (f.Type === "EQUAL" || !f.Type ? e.execution_id === v : true));
      else if (f.Key === "Status") executions = executions.filter((e) => e.status === v);
      else if (f.Key === "CreatedTime") {
        const t = Date.parse(v);
        if (Number.isNaN(t)) throw new ApiError("ValidationException", `CreatedTime takes a date and time such as 2024-05-01T00:00:00Z, not ${v}.`);
        executions = executions.filter((e) => (f.Type === "LESS_THAN" ? e.created_at < t : f.Type === "GREATER_THAN" ? e.created_at > t : e.created_at === t));
      }
    }
    const page = pageOf(ctx, executions, (e) => `${String(Number.MAX_SAFE_INTEGER - e.created_at).padStart(16, "0")}${e.execution_id}`, input, {
      query: [row.association_id, input.Filters ?? []],
      defaultSize: 50,
    });
    const out: AssociationExecution[] = [];
    for (const e of page.items) {
      const counts = await targetCounts(ctx.services.db, e.execution_id);
      out.push({
        AssociationId: e.association_id,
        AssociationVersion: String(e.version),
        ExecutionId: e.execution_id,
        Status: e.status,
        DetailedStatus: e.detailed_status,
        CreatedTime: new Date(e.created_at),
        LastExecutionDate: new Date(e.finished_at ?? e.created_at),
        ResourceCountByStatus: countByStatus(counts.flatMap((c) => Array<string>(c.n).fill(apiStatus(c.status)))),
      });
    }
    return { AssociationExecutions: out, NextToken: page.nextToken };
  },
});

/**
 * DescribeAssociationExecutionTargets: each node of one execution, with its status; beyond AWS, the
 * node's own account of the run (ExecutionSummary: its output in short, and ErrorCode).
 */
export const describeAssociationExecutionTargets = op<DescribeAssociationExecutionTargetsRequest, DescribeAssociationExecutionTargetsResult, AssociationRow>({
  service: "ssm",
  name: "DescribeAssociationExecutionTargets",
  resources: associationRef,
  readOnly: true,
  async handle(ctx, input, row) {
    const execution = await getExecution(ctx.services.db, String(input.ExecutionId));
    if (!execution || execution.association_id !== row.association_id) {
      throw new ApiError("AssociationExecutionDoesNotExist", `Association ${row.association_id} has no execution ${input.ExecutionId}.`);
    }
    let targets = await targetsOf(ctx.services.db, execution.execution_id);
    for (const f of input.Filters ?? []) {
      const v = String(f.Value);
      if (f.Key === "Status") targets = targets.filter((t) => apiStatus(t.status) === v);
      else if (f.Key === "ResourceId") targets = targets.filter((t) => t.instance_id === v);
      else if (f.Key === "ResourceType") targets = targets.filter(() => v === "ManagedInstance");
    }
    const page = pageOf(ctx, targets, (t) => t.instance_id, input, { query: [execution.execution_id, input.Filters ?? []], defaultSize: 50 });
    const items: (AssociationExecutionTarget & { ExecutionSummary?: string; ErrorCode?: string })[] = page.items.map((t) => ({
      AssociationId: t.association_id,
      AssociationVersion: String(execution.version),
      ExecutionId: t.execution_id,
      ResourceId: t.instance_id,
      ResourceType: "ManagedInstance",
      Status: apiStatus(t.status),
      DetailedStatus: t.detailed_status,
      LastExecutionDate: new Date(t.updated_at),
      OutputSource: { OutputSourceId: t.execution_id, OutputSourceType: "RunCommand" },
      ExecutionSummary: t.summary ?? undefined,
      ErrorCode: t.error_code ?? undefined,
    }));
    return { AssociationExecutionTargets: items, NextToken: page.nextToken };
  },
});

const nodeRef = (ctx: RequestContext, input: { InstanceId?: string }) => [
  { arn: nodeArn(ctx, String(input.InstanceId)), tags: () => nodeTags(ctx.services.db, ctx, String(input.InstanceId)) },
];

async function registeredNode(ctx: RequestContext, instanceId: string): Promise<void> {
  const [node] = await registeredNodeFacts(ctx.services.db, ctx, [instanceId]);
  if (!node) throw new ApiError("InvalidInstanceId", `${instanceId} is not a registered managed node of this account in ${ctx.region}.`);
}

/** One page of the associations that apply to a registered node, by association id. */
async function nodeAssociationPage(ctx: RequestContext, instanceId: string, input: { NextToken?: string; MaxResults?: number }, defaultSize: number) {
  await registeredNode(ctx, instanceId);
  const rows = await nodeAssociations(ctx.services.db, ctx, instanceId);
  return pageOf(ctx, rows, (r) => r.a.association_id, input, { query: instanceId, defaultSize });
}

/** DescribeEffectiveInstanceAssociations: the associations that apply to a node, with their documents' content. */
export const describeEffectiveInstanceAssociations = op<DescribeEffectiveInstanceAssociationsRequest, DescribeEffectiveInstanceAssociationsResult>({
  service: "ssm",
  name: "DescribeEffectiveInstanceAssociations",
  resources: nodeRef,
  readOnly: true,
  async handle(ctx, input) {
    const instanceId = String(input.InstanceId);
    const page = await nodeAssociationPage(ctx, instanceId, input, 5);
    const out = [];
    for (const { a } of page.items) {
      const doc = await getDocumentForExecution(ctx, a.name, specOf(a).DocumentVersion).catch(() => undefined);
      out.push({ AssociationId: a.association_id, InstanceId: instanceId, AssociationVersion: String(a.version), Content: doc?.rawContent });
    }
    return { Associations: out, NextToken: page.nextToken };
  },
});

/** DescribeInstanceAssociationsStatus: how each association last went on a node. */
export const describeInstanceAssociationsStatus = op<DescribeInstanceAssociationsStatusRequest, DescribeInstanceAssociationsStatusResult>({
  service: "ssm",
  name: "DescribeInstanceAssociationsStatus",
  resources: nodeRef,
  readOnly: true,
  async handle(ctx, input) {
    const instanceId = String(input.InstanceId);
    const page = await nodeAssociationPage(ctx, instanceId, input, 50);
    const infos: InstanceAssociationStatusInfo[] = page.items.map(({ a, i }) => ({
      AssociationId: a.association_id,
      Name: a.name,
      DocumentVersion: specOf(a).DocumentVersion ?? "$DEFAULT",
      AssociationVersion: i.reported_version ?? String(a.version),
      InstanceId: instanceId,
      ExecutionDate: i.execution_date !== null ? new Date(i.execution_date) : undefined,
      Status: takenByNode(i) ? "InProgress" : i.pending === 1 || i.status === null ? "Pending" : i.status,
      DetailedStatus: i.detailed_status ?? "Pending",
      ExecutionSummary: i.execution_summary ?? undefined,
      ErrorCode: i.error_code ?? undefined,
      OutputUrl: i.output_url ? { S3OutputUrl: { OutputUrl: i.output_url } } : undefined,
      AssociationName: a.association_name ?? undefined,
    }));
    return { InstanceAssociationStatusInfos: infos, NextToken: page.nextToken };
  },
});

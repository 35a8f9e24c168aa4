import { nodeIdOf } from "../../agents/index.js";
import { ApiError } from "../../errors.js";
import { op, type RequestContext, type ServerSlot, type Services } from "../../runtime.js";
import { getTags } from "../tags/store.js";
import { INSTANCE_ID } from "./ids.js";
import { optionalString, requiredString } from "./input-checks.js";
import { pageRequest } from "../../http/paging.js";
import { NODE_RESOURCE_TYPE, nodeArn } from "./store.js";
import { registeredNodeIds } from "./targets.js";

/**
 * The agent's side of State Manager: ListInstanceAssociations (what the node should run) and
 * UpdateInstanceAssociationStatus (how a run went), agent-only operations that amazon-ssm-agent
 * calls with the node's own credentials at start and every 10 minutes. The associations themselves
 * belong to State Manager, which plugs in here with `provideNodeAssociations`; without it a node has
 * none, and no association id is known.
 */

/** One association a node runs, as the agent reads it (InstanceAssociationSummary). */
export interface NodeAssociation {
  AssociationId: string;
  Name: string;
  InstanceId: string;
  AssociationVersion?: string;
  DocumentVersion?: string;
  Checksum?: string;
  Parameters?: Record<string, string[]>;
  Targets?: { Key: string; Values: string[] }[];
  ScheduleExpression?: string;
  OutputLocation?: { S3Location?: { OutputS3Region?: string; OutputS3BucketName?: string; OutputS3KeyPrefix?: string } };
  LastExecutionDate?: Date;
  Status?: string;
  DetailedStatus?: string;
  /** openssm's addition (SDKs ignore it): the application a Pending association stands for, so a restarted agent never runs it twice. */
  ExecutionId?: string;
}

/** What the node reports about one run of an association (InstanceAssociationExecutionResult). */
export interface AssociationExecutionResult {
  Status: string;
  ExecutionDate: Date;
  ExecutionSummary: string;
  ErrorCode?: string;
  OutputUrl?: string;
}

/** What State Manager provides to the nodes' association calls. */
export interface NodeAssociationSource {
  /** Every association that applies to the node now (the caller pages through them). */
  forNode(ctx: RequestContext, instanceId: string): Promise<NodeAssociation[]>;
  /** Records the node's report; false when the association is unknown (or not the node's). */
  reportExecution(ctx: RequestContext, instanceId: string, associationId: string, result: AssociationExecutionResult, version?: string): Promise<boolean>;
}

const ASSOCIATION_SOURCE: ServerSlot<{ source?: NodeAssociationSource }> = { name: "nodes.association-source", create: () => ({}) };

/** State Manager's start() calls this once, so nodes get their associations. */
export function provideNodeAssociations(services: Services, source: NodeAssociationSource): void {
  services.own(ASSOCIATION_SOURCE).source = source;
}

/** Default and largest page of ListInstanceAssociations. */
const PAGE_SIZE = 50;

/** The node named, authorized as the node itself (validated first, as the model would be for a public operation). */
const nodeRef = (ctx: RequestContext, input: Record<string, unknown>) => {
  const id = requiredString(input, "InstanceId", 10, 124);
  return [{ arn: nodeArn(ctx, id), tags: () => getTags(ctx.services.db, ctx, NODE_RESOURCE_TYPE, id) }];
};

/** The node the call is about, which must be the calling node itself and still registered. */
async function callingNodeItself(ctx: RequestContext, input: Record<string, unknown>): Promise<string> {
  const instanceId = requiredString(input, "InstanceId", 10, 124);
  const caller = nodeIdOf(ctx.principal);
  if (caller !== instanceId) {
    throw new ApiError(
      "AccessDeniedException",
      caller
        ? `Managed node ${caller} may only ${ctx.operation} for itself, not for ${instanceId}.`
        : `${ctx.operation} is called by managed nodes with their own credentials, not by ${ctx.principal.arn}.`,
    );
  }
  if (!INSTANCE_ID.test(instanceId)) throw new ApiError("InvalidInstanceId", `${instanceId} is not a managed node id (mi- followed by 17 hex digits).`);
  const [registered] = await registeredNodeIds(ctx.services.db, ctx, [instanceId]);
  if (registered !== instanceId) throw new ApiError("InvalidInstanceId", `Managed node ${instanceId} is not registered in ${ctx.region}.`);
  return instanceId;
}

/** ListInstanceAssociations (agent-only): the associations the calling node runs, in AssociationId order. */
export const listInstanceAssociations = op<Record<string, unknown>, { Associations: NodeAssociation[]; NextToken?: string }>({
  service: "ssm",
  name: "ListInstanceAssociations",
  resources: nodeRef,
  async handle(ctx, input) {
    const instanceId = await callingNodeItself(ctx, input);
    const max = input.MaxResults;
    if (max !== undefined && max !== null && (typeof max !== "number" || !Number.isInteger(max) || max < 1)) {
      throw new ApiError(
        "ValidationException",
        "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
    }
    const limit = Math.min(typeof max === "number" ? max : PAGE_SIZE, PAGE_SIZE);
    const paging = pageRequest(
      ctx,
      { NextToken: optionalString(input, "NextToken", 1, 4096), MaxResults: limit },
      { query: instanceId, defaultSize: PAGE_SIZE },
    );
    const after = paging.after;
    const source = ctx.services.own(ASSOCIATION_SOURCE).source;
    const all = source ? await source.forNode(ctx, instanceId) : [];
    const rest = all
      .filter((a) => after === undefined || a.AssociationId > after)
      .sort((a, b) => (a.AssociationId < b.AssociationId ? -1 : a.AssociationId > b.AssociationId ? 1 : 0));
    const { items, nextToken } = paging.finish(rest.slice(0, limit + 1), (a) => a.AssociationId);
    return { Associations: items, NextToken: nextToken };
  },
});

function executionResult(input: Record<string, unknown>): AssociationExecutionResult {
  const r = input.ExecutionResult;
  if (r === undefined || r === null) {
    throw new ApiError(
      "ValidationException",
      "1 validation error detected: Value null at 'executionResult' failed to satisfy constraint: Member must not be null",
    );
  }
  if (typeof r !== "object" || Array.isArray(r))
    throw new ApiError("ValidationException", "ExecutionResult must be an InstanceAssociationExecutionResult object.");
  const result = r as Record<string, unknown>;
  const status = requiredString(result, "Status", 1, 64);
  const summary = requiredString(result, "ExecutionSummary", 1, 512);
  const when = result.ExecutionDate;
  const date = typeof when === "number" ? new Date(when * 1000) : typeof when === "string" ? new Date(when) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new ApiError("ValidationException", "ExecutionResult.ExecutionDate is required: a timestamp (epoch seconds or ISO 8601).");
  }
  const url = (result.OutputUrl as { S3OutputUrl?: { OutputUrl?: unknown } } | undefined)?.S3OutputUrl?.OutputUrl;
  return {
    Status: status,
    ExecutionDate: date,
    ExecutionSummary: summary,
    ErrorCode: optionalString(result, "ErrorCode", 0, 64),
    OutputUrl: typeof url === "string" ? url : undefined,
  };
}

/** UpdateInstanceAssociationStatus (agent-only): the node's report on running one of its associations. */
export const updateInstanceAssociationStatus = op<Record<string, unknown>, object>({
  service: "ssm",
  name: "UpdateInstanceAssociationStatus",
  resources: nodeRef,
  async handle(ctx, input) {
    const instanceId = await callingNodeItself(ctx, input);
    const associationId = requiredString(input, "AssociationId", 1, 256);
    const result = executionResult(input);
    const version = optionalString(input, "AssociationVersion", 1, 64);
    const source = ctx.services.own(ASSOCIATION_SOURCE).source;
    if (!source || !(await source.reportExecution(ctx, instanceId, associationId, result, version))) {
      throw new ApiError("AssociationDoesNotExist", `Association ${associationId} does not exist for managed node ${instanceId}.`);
    }
    return {};
  },
});

export const associationOperations = [listInstanceAssociations, updateInstanceAssociationStatus];

import type { RequestContext, Services } from "../../runtime.js";
import type { AssociationExecutionResult, NodeAssociation, NodeAssociationSource } from "../nodes/index.js";
import { submitReport } from "./engine.js";
import { getAssociation, nodeAssociations, specOf, takenByNode } from "./store.js";

/**
 * What the nodes' own calls see (ListInstanceAssociations, UpdateInstanceAssociationStatus). The
 * server keeps each association's schedule itself, so a node is told to apply an association by
 * DetailedStatus "Pending" (amazon-ssm-agent runs a Pending association at once; with no
 * ScheduleExpression it never runs one on its own clock, so nothing runs twice); once the node has
 * reported the run InProgress it is no longer Pending to it (takenByNode). ExecutionId, an
 * openssm addition that AWS's SDK ignores, names the application openssm-agent must run only once.
 */
export function nodeAssociationSource(services: Services): NodeAssociationSource {
  return {
    async forNode(ctx: RequestContext, instanceId: string): Promise<NodeAssociation[]> {
      const rows = await nodeAssociations(ctx.services.db, ctx, instanceId);
      return rows.map(({ a, i }) => {
        const spec = specOf(a);
        const running = takenByNode(i);
        const pending = i.pending === 1 && !running;
        return {
          AssociationId: a.association_id,
          Name: a.name,
          InstanceId: instanceId,
          AssociationVersion: String(a.version),
          DocumentVersion: spec.DocumentVersion ?? "$DEFAULT",
          Checksum: a.checksum,
          Parameters: spec.Parameters ?? {},
          Targets: spec.Targets?.map((t) => ({ Key: String(t.Key), Values: (t.Values ?? []).map(String) })),
          LastExecutionDate: i.last_execution_at !== null ? new Date(i.last_execution_at) : undefined,
          Status: pending ? "Pending" : running ? "InProgress" : (i.status ?? "Waiting"),
          DetailedStatus: pending ? "Pending" : (i.detailed_status ?? i.status ?? "Waiting"),
          ExecutionId: pending ? (i.execution_id ?? undefined) : undefined,
        };
      });
    },
    async reportExecution(
      ctx: RequestContext,
      instanceId: string,
      associationId: string,
      result: AssociationExecutionResult,
      version?: string,
    ): Promise<boolean> {
      const a = await getAssociation(ctx.services.db, ctx, associationId);
      if (!a) return false;
      const known = await submitReport(services, a, instanceId, {
        status: result.Status,
        executedAt: result.ExecutionDate.getTime(),
        summary: result.ExecutionSummary,
        errorCode: result.ErrorCode,
        outputUrl: result.OutputUrl,
        version,
      });
      return known;
    },
  };
}

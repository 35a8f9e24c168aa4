import type { AnyDb } from "../../storage/database.js";
import type { Scope } from "./store.js";
import { nodeDb } from "./tables.js";
import { inScope } from "../../storage/scope.js";

/**
 * For State Manager: records a node's association summary, which DescribeInstanceInformation shows
 * (AssociationStatus, LastAssociationExecutionDate, LastSuccessfulAssociationExecutionDate,
 * AssociationOverview) and its AssociationStatus filter matches.
 */
export async function setNodeAssociationStatus(
  db: AnyDb,
  scope: Scope,
  instanceId: string | string[],
  status: {
    status: "Success" | "Pending" | "Failed";
    executedAt?: number;
    lastSuccessAt?: number;
    overview?: { DetailedStatus?: string; InstanceAssociationStatusAggregatedCount?: Record<string, number> };
  },
): Promise<void> {
  await nodeDb(db)
    .updateTable("nodes_instances")
    .set({
      association_status: status.status,
      ...(status.executedAt !== undefined ? { last_association_at: status.executedAt } : {}),
      ...(status.lastSuccessAt !== undefined ? { last_successful_association_at: status.lastSuccessAt } : {}),
      ...(status.overview !== undefined ? { association_overview: JSON.stringify(status.overview) } : {}),
    })
    .where("instance_id", "in", typeof instanceId === "string" ? [instanceId] : instanceId.length ? instanceId : [""])
    .where(inScope(scope))
    .execute();
}

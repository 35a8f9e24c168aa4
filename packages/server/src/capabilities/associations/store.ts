import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import type { AssociationSpec } from "./spec.js";
import { type AssociationTables, associationDb } from "./tables.js";

export type AssociationRow = AssociationTables["associations"];
export type ExecutionRow = AssociationTables["association_executions"];
export type TargetRow = AssociationTables["association_targets"];
export type InstanceRow = AssociationTables["association_instances"];

export const specOf = (row: { spec: string }): AssociationSpec => JSON.parse(row.spec) as AssociationSpec;

/**
 * The node has taken the run it was asked to apply: it reported it InProgress. It is no longer
 * offered to the node as Pending (amazon-ssm-agent would submit it a second time), yet it stays
 * `pending` (the node is busy with it, a new execution skips it) until the node reports how it ended.
 * A Pending report of the node's own (amazon-ssm-agent's "run it again") offers it again.
 */
export const takenByNode = (i: InstanceRow): boolean => i.pending === 1 && i.detailed_status === "InProgress";

export function getAssociation(db: AnyDb, scope: Scope, associationId: string): Promise<AssociationRow | undefined> {
  return associationDb(db).selectFrom("associations").selectAll().where(inScope(scope)).where("association_id", "=", associationId).executeTakeFirst();
}

export function listAssociations(db: AnyDb, scope: Scope): Promise<AssociationRow[]> {
  return associationDb(db).selectFrom("associations").selectAll().where(inScope(scope)).orderBy("association_id").execute();
}

export function countAssociations(db: AnyDb, scope: Scope): Promise<number> {
  return associationDb(db)
    .selectFrom("associations")
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where(inScope(scope))
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.n));
}

/** Associations whose schedule is due (every account and region: the scheduler's view). */
export function dueAssociations(db: AnyDb, now: number, limit: number): Promise<AssociationRow[]> {
  return associationDb(db)
    .selectFrom("associations")
    .selectAll()
    .where("next_run_at", "is not", null)
    .where("next_run_at", "<=", now)
    .orderBy("next_run_at")
    .limit(limit)
    .execute();
}

export function allAssociations(db: AnyDb): Promise<AssociationRow[]> {
  return associationDb(db).selectFrom("associations").selectAll().orderBy("association_id").execute();
}

export function instancesOf(db: AnyDb, associationId: string): Promise<InstanceRow[]> {
  return associationDb(db).selectFrom("association_instances").selectAll().where("association_id", "=", associationId).orderBy("instance_id").execute();
}

/** The ids of the nodes an association holds (reconciling targets needs no more). */
export async function instanceIdsOf(db: AnyDb, associationId: string): Promise<string[]> {
  const rows = await associationDb(db).selectFrom("association_instances").select("instance_id").where("association_id", "=", associationId).execute();
  return rows.map((r) => r.instance_id);
}

export function instanceRow(db: AnyDb, associationId: string, instanceId: string): Promise<InstanceRow | undefined> {
  return associationDb(db)
    .selectFrom("association_instances")
    .selectAll()
    .where("association_id", "=", associationId)
    .where("instance_id", "=", instanceId)
    .executeTakeFirst();
}

/** The association rows of one node, with their association. */
export async function nodeAssociations(db: AnyDb, scope: Scope, instanceId: string): Promise<{ a: AssociationRow; i: InstanceRow }[]> {
  const d = associationDb(db);
  const rows = await d
    .selectFrom("association_instances")
    .selectAll()
    .where(inScope(scope))
    .where("instance_id", "=", instanceId)
    .orderBy("association_id")
    .execute();
  if (!rows.length) return [];
  const assocs = await d
    .selectFrom("associations")
    .selectAll()
    .where(
      "association_id",
      "in",
      rows.map((r) => r.association_id),
    )
    .execute();
  const byId = new Map(assocs.map((a) => [a.association_id, a]));
  return rows.flatMap((i) => {
    const a = byId.get(i.association_id);
    return a ? [{ a, i }] : [];
  });
}

export function getExecution(db: AnyDb, executionId: string): Promise<ExecutionRow | undefined> {
  return associationDb(db).selectFrom("association_executions").selectAll().where("execution_id", "=", executionId).executeTakeFirst();
}

export function targetsOf(db: AnyDb, executionId: string): Promise<TargetRow[]> {
  return associationDb(db).selectFrom("association_targets").selectAll().where("execution_id", "=", executionId).orderBy("instance_id").execute();
}

export function targetOf(db: AnyDb, executionId: string, instanceId: string): Promise<TargetRow | undefined> {
  return associationDb(db)
    .selectFrom("association_targets")
    .selectAll()
    .where("execution_id", "=", executionId)
    .where("instance_id", "=", instanceId)
    .executeTakeFirst();
}

/** How many targets of an execution are in each status (failures before MaxErrors counts; skipped-as-busy apart). */
export async function targetCounts(db: AnyDb, executionId: string): Promise<{ status: string; busy: boolean; n: number }[]> {
  const rows = await associationDb(db)
    .selectFrom("association_targets")
    .select(["status", "detailed_status"])
    .select((eb) => eb.fn.countAll<number>().as("n"))
    .where("execution_id", "=", executionId)
    .groupBy(["status", "detailed_status"])
    .execute();
  return rows.map((r) => ({ status: r.status, busy: r.detailed_status === "PreviousApplicationInProgress", n: Number(r.n) }));
}

/** Targets of an execution held back by MaxConcurrency, the first `limit` of them. */
export function waitingTargets(db: AnyDb, executionId: string, limit: number): Promise<TargetRow[]> {
  return associationDb(db)
    .selectFrom("association_targets")
    .selectAll()
    .where("execution_id", "=", executionId)
    .where("status", "=", "Waiting")
    .orderBy("instance_id")
    .limit(limit)
    .execute();
}

export function openExecutions(db: AnyDb): Promise<ExecutionRow[]> {
  return associationDb(db).selectFrom("association_executions").selectAll().where("finished_at", "is", null).execute();
}

/**
 * The runs of an execution that nodes took (reported InProgress) and have not reported on since
 * `before` (the execution's status index finds its InProgress targets).
 */
export function quietTakenRuns(db: AnyDb, executionId: string, before: number): Promise<{ instance_id: string }[]> {
  return associationDb(db)
    .selectFrom("association_targets")
    .select("instance_id")
    .where("execution_id", "=", executionId)
    .where("status", "=", "InProgress")
    .where("updated_at", "<", before)
    .execute();
}

export function executionsOf(db: AnyDb, associationId: string): Promise<ExecutionRow[]> {
  return associationDb(db)
    .selectFrom("association_executions")
    .selectAll()
    .where("association_id", "=", associationId)
    .orderBy("created_at", "desc")
    .orderBy("execution_id", "desc")
    .execute();
}

export async function deleteAssociationRows(db: AnyDb, associationId: string): Promise<void> {
  const d = associationDb(db);
  await d.deleteFrom("association_targets").where("association_id", "=", associationId).execute();
  await d.deleteFrom("association_executions").where("association_id", "=", associationId).execute();
  await d.deleteFrom("association_instances").where("association_id", "=", associationId).execute();
  await d.deleteFrom("association_versions").where("association_id", "=", associationId).execute();
  await d.deleteFrom("associations").where("association_id", "=", associationId).execute();
}

import type { Association, AssociationDescription, AssociationOverview, AssociationVersionInfo } from "@aws-sdk/client-ssm";
import type { AnyDb } from "../../storage/database.js";
import { type AssociationRow, instancesOf, type InstanceRow, specOf } from "./store.js";

const FAILED = new Set(["Failed", "TimedOut"]);

/** Per-node statuses as AWS counts them: Pending until a node reports, then its last status. */
export function overviewOf(rows: InstanceRow[]): AssociationOverview & { status: string } {
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const s = r.pending === 1 || r.status === null ? "Pending" : FAILED.has(r.status) ? "Failed" : r.status === "Success" ? "Success" : r.status;
    counts[s] = (counts[s] ?? 0) + 1;
  }
  const status = counts.Failed ? "Failed" : counts.Pending || rows.length === 0 ? "Pending" : "Success";
  return { Status: status, DetailedStatus: status, AssociationStatusAggregatedCount: counts, status };
}

export async function describe(db: AnyDb, a: AssociationRow, rows?: InstanceRow[]): Promise<AssociationDescription> {
  const spec = specOf(a);
  const instances = rows ?? (await instancesOf(db, a.association_id));
  const overview = overviewOf(instances);
  const { status, ...Overview } = overview;
  return {
    Name: a.name,
    InstanceId: spec.InstanceId,
    AssociationVersion: String(a.version),
    Date: new Date(a.created_at),
    LastUpdateAssociationDate: new Date(a.updated_at),
    Status: {
      Date: new Date(a.last_execution_at ?? a.updated_at),
      Name: status as "Pending",
      Message: instances.length ? `${instances.length} target${instances.length === 1 ? "" : "s"}` : "The targets match no managed node yet.",
    },
    Overview,
    DocumentVersion: spec.DocumentVersion ?? "$DEFAULT",
    AutomationTargetParameterName: spec.AutomationTargetParameterName,
    Parameters: spec.Parameters,
    AssociationId: a.association_id,
    Targets: spec.Targets,
    ScheduleExpression: spec.ScheduleExpression,
    OutputLocation: spec.OutputLocation,
    LastExecutionDate: a.last_execution_at !== null ? new Date(a.last_execution_at) : undefined,
    LastSuccessfulExecutionDate: a.last_success_at !== null ? new Date(a.last_success_at) : undefined,
    AssociationName: a.association_name ?? undefined,
    MaxErrors: spec.MaxErrors,
    MaxConcurrency: spec.MaxConcurrency,
    ComplianceSeverity: spec.ComplianceSeverity as AssociationDescription["ComplianceSeverity"],
    SyncCompliance: (spec.SyncCompliance ?? "AUTO") as AssociationDescription["SyncCompliance"],
    ApplyOnlyAtCronInterval: spec.ApplyOnlyAtCronInterval ?? false,
    CalendarNames: spec.CalendarNames,
    ScheduleOffset: spec.ScheduleOffset,
    Duration: spec.Duration,
  };
}

export async function summary(db: AnyDb, a: AssociationRow): Promise<Association> {
  const spec = specOf(a);
  const { status: _status, ...Overview } = overviewOf(await instancesOf(db, a.association_id));
  return {
    Name: a.name,
    InstanceId: spec.InstanceId,
    AssociationId: a.association_id,
    AssociationVersion: String(a.version),
    DocumentVersion: spec.DocumentVersion ?? "$DEFAULT",
    Targets: spec.Targets,
    LastExecutionDate: a.last_execution_at !== null ? new Date(a.last_execution_at) : undefined,
    Overview,
    ScheduleExpression: spec.ScheduleExpression,
    AssociationName: a.association_name ?? undefined,
    ScheduleOffset: spec.ScheduleOffset,
    Duration: spec.Duration,
  };
}

export function versionInfo(row: {
  association_id: string;
  version: number;
  name: string;
  association_name: string | null;
  spec: string;
  created_at: number;
}): AssociationVersionInfo {
  const spec = specOf(row);
  return {
    AssociationId: row.association_id,
    AssociationVersion: String(row.version),
    CreatedDate: new Date(row.created_at),
    Name: row.name,
    DocumentVersion: spec.DocumentVersion ?? "$DEFAULT",
    Parameters: spec.Parameters,
    Targets: spec.Targets,
    ScheduleExpression: spec.ScheduleExpression,
    OutputLocation: spec.OutputLocation,
    AssociationName: row.association_name ?? undefined,
    MaxErrors: spec.MaxErrors,
    MaxConcurrency: spec.MaxConcurrency,
    ComplianceSeverity: spec.ComplianceSeverity as AssociationVersionInfo["ComplianceSeverity"],
    SyncCompliance: (spec.SyncCompliance ?? "AUTO") as AssociationVersionInfo["SyncCompliance"],
    ApplyOnlyAtCronInterval: spec.ApplyOnlyAtCronInterval ?? false,
    CalendarNames: spec.CalendarNames,
    ScheduleOffset: spec.ScheduleOffset,
    Duration: spec.Duration,
  };
}

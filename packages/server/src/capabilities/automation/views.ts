import type { AutomationExecution, AutomationExecutionMetadata, StepExecution } from "@aws-sdk/client-ssm";
import { apiValues } from "./selectors.js";
import type { ChangeRequestInfo, PlannedTarget } from "./start.js";
import { isTerminal } from "./statuses.js";
import { parseJson } from "./store.js";
import type { ExecutionRow, StepRow } from "./tables.js";

const date = (ms: number | null) => (ms === null ? undefined : new Date(ms));

export function stepView(row: StepRow, byId: Map<string, StepRow>): StepExecution {
  const parent = row.parent_step_execution_id ? byId.get(row.parent_step_execution_id) : undefined;
  return {
    StepName: row.step_name,
    Action: row.action,
    TimeoutSeconds: row.timeout_seconds ?? undefined,
    OnFailure: row.on_failure ?? undefined,
    MaxAttempts: row.max_attempts,
    ExecutionStartTime: date(row.started_at),
    ExecutionEndTime: date(row.ended_at),
    StepStatus: row.status as StepExecution["StepStatus"],
    Inputs: parseJson<Record<string, string>>(row.inputs, {}),
    Outputs: apiValues(parseJson<Record<string, unknown>>(row.outputs, {})),
    Response: row.response ?? undefined,
    ResponseCode: row.response_code ?? undefined,
    FailureMessage: row.failure_message ?? undefined,
    FailureDetails: row.failure_details ? parseJson(row.failure_details, undefined) : undefined,
    StepExecutionId: row.step_execution_id,
    IsEnd: row.is_end === 1,
    NextStep: row.next_step ?? undefined,
    IsCritical: row.is_critical === 1,
    ValidNextSteps: row.valid_next_steps ? parseJson<string[]>(row.valid_next_steps, []) : undefined,
    ParentStepDetails: parent
      ? {
          StepExecutionId: parent.step_execution_id,
          StepName: parent.step_name,
          Action: parent.action,
          Iteration: row.iteration ?? undefined,
          IteratorValue: row.iterator_value === null ? undefined : String(parseJson<unknown>(row.iterator_value, "") ?? ""),
        }
      : undefined,
  };
}

function counters(steps: { status: string }[], total: number) {
  const count = (s: string) => steps.filter((x) => x.status === s).length;
  return {
    TotalSteps: total,
    SuccessSteps: count("Success"),
    FailedSteps: count("Failed"),
    CancelledSteps: count("Cancelled"),
    TimedOutSteps: count("TimedOut"),
  };
}

/**
 * A change request's status as Change Manager names it: PendingApproval while an approval level
 * waits, Scheduled until its ScheduledTime, RunbookInProgress while its runbook runs, Rejected when an
 * approver rejected it; otherwise the execution's own status.
 */
function changeRequestStatus(row: ExecutionRow): string {
  const step = row.current_step_name ?? "";
  if (row.status === "Waiting" && row.current_action === "aws:approve")
    return step.startsWith("ChangeCalendarOverride") ? "PendingChangeCalendarOverride" : "PendingApproval";
  if (!isTerminal(row.status) && row.current_action === "aws:sleep") return "Scheduled";
  if (!isTerminal(row.status) && row.current_action === "aws:executeAutomation") return "RunbookInProgress";
  if (row.status === "Failed" && row.current_action === "aws:approve")
    return step.startsWith("ChangeCalendarOverride") ? "ChangeCalendarOverrideRejected" : "Rejected";
  return row.status;
}

/** A change request's own fields (GetAutomationExecution, DescribeAutomationExecutions). */
function changeRequestFields(row: ExecutionRow) {
  if (row.automation_subtype === "AccessRequest") {
    // A just-in-time access request's approvals: its levels, and the /aws/accessrequest OpsItem.
    return {
      AutomationSubtype: "AccessRequest" as const,
      AutomationExecutionStatus: changeRequestStatus(row) as AutomationExecution["AutomationExecutionStatus"],
      OpsItemId: row.ops_item_id ?? undefined,
      AssociatedOpsItemIds: row.ops_item_id ? [row.ops_item_id] : undefined,
    };
  }
  if (row.automation_subtype !== "ChangeRequest") return {};
  const info = parseJson<ChangeRequestInfo>(row.change_request, { Runbooks: [] });
  return {
    AutomationSubtype: "ChangeRequest" as const,
    AutomationExecutionStatus: changeRequestStatus(row) as AutomationExecution["AutomationExecutionStatus"],
    ChangeRequestName: info.ChangeRequestName,
    ScheduledTime: info.ScheduledTime === undefined ? undefined : new Date(info.ScheduledTime),
    Runbooks: info.Runbooks,
    OpsItemId: row.ops_item_id ?? undefined,
    AssociatedOpsItemIds: row.ops_item_id ? [row.ops_item_id] : undefined,
  };
}

function common(row: ExecutionRow) {
  const plan = row.resolved_targets ? parseJson<PlannedTarget[]>(row.resolved_targets, []) : undefined;
  return {
    AutomationExecutionId: row.execution_id,
    DocumentName: row.document_name,
    DocumentVersion: row.document_version,
    AutomationExecutionStatus: row.status as AutomationExecution["AutomationExecutionStatus"],
    ExecutionStartTime: date(row.started_at),
    ExecutionEndTime: date(row.ended_at),
    ExecutedBy: row.executed_by,
    FailureMessage: row.failure_message ?? undefined,
    Mode: row.mode as AutomationExecution["Mode"],
    ParentAutomationExecutionId: row.parent_execution_id ?? undefined,
    CurrentStepName: row.current_step_name ?? undefined,
    CurrentAction: row.current_action ?? undefined,
    Outputs: parseJson<Record<string, string[]>>(row.outputs, {}),
    TargetParameterName: row.target_parameter_name ?? undefined,
    Targets: row.targets ? parseJson(row.targets, undefined) : undefined,
    TargetMaps: row.target_maps ? parseJson(row.target_maps, undefined) : undefined,
    ResolvedTargets: plan ? { ParameterValues: plan.map((p) => p.target).slice(0, 100), Truncated: plan.length > 100 } : undefined,
    MaxConcurrency: row.max_concurrency ?? undefined,
    MaxErrors: row.max_errors ?? undefined,
    Target: row.target ?? undefined,
    AlarmConfiguration: row.alarm_configuration ? parseJson(row.alarm_configuration, undefined) : undefined,
    ...changeRequestFields(row),
  };
}

/** GetAutomationExecution's view; a parent's ProgressCounters count its children. */
export function executionView(row: ExecutionRow, steps: StepRow[], kids: { status: string }[]): AutomationExecution {
  const byId = new Map(steps.map((s) => [s.step_execution_id, s]));
  const plan = row.resolved_targets ? parseJson<PlannedTarget[]>(row.resolved_targets, []) : undefined;
  const mainSteps = parseJson<Record<string, any>>(row.runbook, {}).mainSteps ?? [];
  return {
    ...common(row),
    Parameters: parseJson<Record<string, string[]>>(row.parameters, {}),
    StepExecutions: steps.map((s) => stepView(s, byId)),
    StepExecutionsTruncated: false,
    Variables: apiValues(parseJson<Record<string, unknown>>(row.variables, {})),
    ProgressCounters: plan ? counters(kids, plan.length) : counters(steps, Math.max(mainSteps.length, steps.length)),
  };
}

export function metadataView(row: ExecutionRow): AutomationExecutionMetadata {
  return { ...common(row), AutomationType: "Local", LogFile: "" };
}

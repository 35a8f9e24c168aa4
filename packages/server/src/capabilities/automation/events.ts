import type { EventInput } from "../../events/bus.js";
import { executionArn } from "./statuses.js";
import type { ExecutionRow, StepRow } from "./tables.js";

const iso = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());

/** An event about an execution: EventBridge's envelope and the fields both automation events start with. */
function aboutExecution(exec: ExecutionRow, detailType: string, status: string, detail: Record<string, unknown>): EventInput {
  const scope = { accountId: exec.account_id, region: exec.region };
  return {
    "detail-type": detailType,
    account: exec.account_id,
    region: exec.region,
    resources: [executionArn(scope, exec.execution_id)],
    detail: {
      ExecutionId: exec.execution_id,
      Definition: exec.document_name,
      DefinitionVersion: Number(exec.document_version) || exec.document_version,
      Status: status,
      ...detail,
    },
  };
}

/** "EC2 Automation Execution Status-change Notification", as EventBridge delivers it. */
export function executionEvent(exec: ExecutionRow, status: string, now: number): EventInput {
  return aboutExecution(exec, "EC2 Automation Execution Status-change Notification", status, {
    StartTime: iso(exec.started_at),
    EndTime: iso(exec.ended_at),
    Time: iso(now),
    ExecutedBy: exec.executed_by,
    ...(exec.parent_execution_id ? { ParentExecutionId: exec.parent_execution_id } : {}),
  });
}

/** "EC2 Automation Step Status-change Notification": one step changed status. */
export function stepEvent(
  exec: ExecutionRow,
  step: Pick<StepRow, "step_name" | "action" | "started_at" | "ended_at" | "step_execution_id">,
  status: string,
  now: number,
): EventInput {
  return aboutExecution(exec, "EC2 Automation Step Status-change Notification", status, {
    StepName: step.step_name,
    Action: step.action,
    StepExecutionId: step.step_execution_id,
    StartTime: iso(step.started_at),
    EndTime: iso(step.ended_at),
    Time: iso(now),
  });
}

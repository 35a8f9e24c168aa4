import type { EventInput } from "../../events/bus.js";
import type { Scope } from "../../storage/scope.js";
import type { ExecutionRow, ExecutionTaskRow, InvocationRow } from "./tables.js";

/** Maintenance window events in EventBridge's shapes (source aws.ssm). */

export const windowArn = (scope: Scope, windowId: string) => `arn:aws:ssm:${scope.region}:${scope.accountId}:maintenancewindow/${windowId}`;
const iso = (ms: number | null) => (ms === null ? undefined : new Date(ms).toISOString());

function base(scope: Scope, windowId: string, detailType: string, detail: Record<string, unknown>): EventInput {
  return { source: "aws.ssm", "detail-type": detailType, account: scope.accountId, region: scope.region, resources: [windowArn(scope, windowId)], detail };
}

/** Created, updated, enabled, disabled, deleted. */
export function windowStateEvent(scope: Scope, windowId: string, status: "CREATED" | "UPDATED" | "ENABLED" | "DISABLED" | "DELETED"): EventInput {
  return base(scope, windowId, "Maintenance Window State-change Notification", { "window-id": windowId, status });
}

export function targetRegistrationEvent(scope: Scope, windowId: string, windowTargetId: string, status: "REGISTERED" | "DEREGISTERED"): EventInput {
  return base(scope, windowId, "Maintenance Window Target Registration Notification", { "window-id": windowId, "window-target-id": windowTargetId, status });
}

export function executionEvent(scope: Scope, e: ExecutionRow): EventInput {
  return base(scope, e.window_id, "Maintenance Window Execution State-change Notification", {
    "window-id": e.window_id,
    "window-execution-id": e.window_execution_id,
    "start-time": iso(e.start_time),
    "end-time": iso(e.end_time),
    status: e.status,
  });
}

export function taskExecutionEvent(scope: Scope, t: ExecutionTaskRow): EventInput {
  return base(scope, t.window_id, "Maintenance Window Task Execution State-change Notification", {
    "window-id": t.window_id,
    "window-execution-id": t.window_execution_id,
    "task-execution-id": t.task_execution_id,
    "start-time": iso(t.start_time),
    "end-time": iso(t.end_time),
    status: t.status,
  });
}

export function invocationEvent(scope: Scope, windowId: string, i: InvocationRow): EventInput {
  return base(scope, windowId, "Maintenance Window Task Target Invocation State-change Notification", {
    "window-id": windowId,
    "window-execution-id": i.window_execution_id,
    "task-execution-id": i.task_execution_id,
    "window-target-id": i.window_target_id ?? undefined,
    "owner-information": i.owner_information ?? undefined,
    "start-time": iso(i.start_time),
    "end-time": iso(i.end_time),
    status: i.status,
  });
}

import { randomBytes } from "node:crypto";
import type { MaintenanceWindowTask, MaintenanceWindowTarget, Target } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { type ExecutionRow, type ExecutionTaskRow, mwDb, type TargetRow, type TaskRow, type WindowRow } from "./tables.js";

export const newWindowId = () => `mw-${randomBytes(9).toString("hex").slice(0, 17)}`;

/** Numbers as the API shows them: epoch seconds (the serializer writes Dates as such). */
export const date = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : new Date(ms));
export const json = <T>(text: string | null): T | undefined => (text === null ? undefined : (JSON.parse(text) as T));
export const orUndefined = <T>(v: T | null): T | undefined => (v === null ? undefined : v);

export function getWindow(db: AnyDb, scope: Scope, windowId: string): Promise<WindowRow | undefined> {
  return mwDb(db).selectFrom("mw_windows").selectAll().where(inScope(scope)).where("window_id", "=", windowId).executeTakeFirst();
}

export function noWindow(windowId: string): ApiError {
  return new ApiError(
    "DoesNotExistException",
    `Maintenance window ${windowId} does not exist in this account and region; DescribeMaintenanceWindows lists the windows.`,
  );
}

export async function requireWindow(ctx: RequestContext, windowId: string): Promise<WindowRow> {
  const row = await getWindow(ctx.services.db, ctx.scope, windowId);
  if (!row) throw noWindow(windowId);
  return row;
}

export function listTargets(db: AnyDb, windowId: string): Promise<TargetRow[]> {
  return mwDb(db).selectFrom("mw_targets").selectAll().where("window_id", "=", windowId).orderBy("window_target_id").execute();
}

export function listTasks(db: AnyDb, windowId: string): Promise<TaskRow[]> {
  return mwDb(db).selectFrom("mw_tasks").selectAll().where("window_id", "=", windowId).orderBy("window_task_id").execute();
}

export function targetView(t: TargetRow): MaintenanceWindowTarget {
  return {
    WindowId: t.window_id,
    WindowTargetId: t.window_target_id,
    ResourceType: t.resource_type as MaintenanceWindowTarget["ResourceType"],
    Targets: JSON.parse(t.targets) as Target[],
    OwnerInformation: orUndefined(t.owner_information),
    Name: orUndefined(t.name),
    Description: orUndefined(t.description),
  };
}

export function taskView(t: TaskRow): MaintenanceWindowTask {
  return {
    WindowId: t.window_id,
    WindowTaskId: t.window_task_id,
    TaskArn: t.task_arn,
    Type: t.task_type as MaintenanceWindowTask["Type"],
    Targets: JSON.parse(t.targets) as Target[],
    TaskParameters: json(t.task_parameters),
    Priority: t.priority,
    LoggingInfo: json(t.logging_info),
    ServiceRoleArn: orUndefined(t.service_role_arn),
    MaxConcurrency: orUndefined(t.max_concurrency),
    MaxErrors: orUndefined(t.max_errors),
    Name: orUndefined(t.name),
    Description: orUndefined(t.description),
    CutoffBehavior: t.cutoff_behavior as MaintenanceWindowTask["CutoffBehavior"],
    AlarmConfiguration: json(t.alarm_configuration),
  };
}

export async function requireExecution(ctx: RequestContext, windowExecutionId: string): Promise<ExecutionRow> {
  const row = await mwDb(ctx.services.db)
    .selectFrom("mw_executions")
    .selectAll()
    .where(inScope(ctx.scope))
    .where("window_execution_id", "=", windowExecutionId)
    .executeTakeFirst();
  if (!row) {
    throw new ApiError(
      "DoesNotExistException",
      `Maintenance window execution ${windowExecutionId} does not exist; DescribeMaintenanceWindowExecutions lists a window's executions.`,
    );
  }
  return row;
}

export async function requireExecutionTask(ctx: RequestContext, windowExecutionId: string, taskExecutionId: string): Promise<ExecutionTaskRow> {
  const row = await mwDb(ctx.services.db)
    .selectFrom("mw_execution_tasks")
    .selectAll()
    .where(inScope(ctx.scope))
    .where("window_execution_id", "=", windowExecutionId)
    .where("task_execution_id", "=", taskExecutionId)
    .executeTakeFirst();
  if (!row) {
    throw new ApiError(
      "DoesNotExistException",
      `Task execution ${taskExecutionId} is not part of maintenance window execution ${windowExecutionId}; DescribeMaintenanceWindowExecutionTasks lists them.`,
    );
  }
  return row;
}

import { randomUUID } from "node:crypto";
import type {
  DeregisterTaskFromMaintenanceWindowRequest,
  DeregisterTaskFromMaintenanceWindowResult,
  DescribeMaintenanceWindowTasksRequest,
  DescribeMaintenanceWindowTasksResult,
  GetMaintenanceWindowTaskRequest,
  GetMaintenanceWindowTaskResult,
  RegisterTaskWithMaintenanceWindowRequest,
  RegisterTaskWithMaintenanceWindowResult,
  Target,
  UpdateMaintenanceWindowTaskRequest,
  UpdateMaintenanceWindowTaskResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageOf } from "../../http/paging.js";
import { op, type RequestContext } from "../../runtime.js";
import { concurrencyLimit, errorLimit } from "../commands/index.js";
import { onWindow } from "./ops-targets.js";
import { json, listTargets, listTasks, orUndefined, taskView } from "./store.js";
import { mwDb, type TaskRow, type WindowRow } from "./tables.js";
import { checkServiceRole, type TaskDefinition, taskTypeRunner } from "./task-types.js";

/** AWS's quota: tasks registered with one maintenance window. */
export const MAX_TASKS = 20;

export function taskDefinition(t: TaskRow): TaskDefinition {
  return {
    windowId: t.window_id,
    windowTaskId: t.window_task_id,
    taskArn: t.task_arn,
    taskType: t.task_type,
    targets: JSON.parse(t.targets) as Target[],
    serviceRoleArn: orUndefined(t.service_role_arn),
    taskParameters: json(t.task_parameters),
    invocationParameters: json(t.invocation_parameters),
    maxConcurrency: orUndefined(t.max_concurrency),
    maxErrors: orUndefined(t.max_errors),
  };
}

/** A task's targets: its window's registered targets (WindowTargetIds) or, if the window allows it, nodes by InstanceIds. */
async function checkTaskTargets(ctx: RequestContext, w: WindowRow, targets: Target[]): Promise<void> {
  const registered = new Set((await listTargets(ctx.services.db, w.window_id)).map((t) => t.window_target_id));
  for (const t of targets) {
    const values = t.Values ?? [];
    if (t.Key === "WindowTargetIds") {
      const unknown = values.filter((v) => !registered.has(v));
      if (unknown.length) {
        throw new ApiError(
          "DoesNotExistException",
          `Window target ${unknown.join(", ")} is not registered with maintenance window ${w.window_id}; a task can use only its own window's targets (DescribeMaintenanceWindowTargets).`,
        );
      }
    } else if (t.Key === "InstanceIds") {
      if (w.allow_unassociated_targets !== 1) {
        throw new ApiError(
          "ValidationException",
          `Maintenance window ${w.window_id} does not allow unassociated targets: register the nodes as window targets and use Key=WindowTargetIds, or update the window with AllowUnassociatedTargets.`,
        );
      }
    } else {
      throw new ApiError("ValidationException", `A task's Targets use Key=WindowTargetIds or Key=InstanceIds, not ${t.Key}.`);
    }
    if (values.length === 0) throw new ApiError("ValidationException", `Target ${t.Key} has no Values; give at least one.`);
  }
}

function checkRateControl(targets: Target[], maxConcurrency: string | undefined, maxErrors: string | undefined): void {
  if (targets.length && (maxConcurrency === undefined || maxErrors === undefined)) {
    throw new ApiError("ValidationException", "A task with Targets needs MaxConcurrency and MaxErrors (for example 1 and 0).");
  }
  try {
    if (maxConcurrency !== undefined) concurrencyLimit(maxConcurrency, 1);
    if (maxErrors !== undefined) errorLimit(maxErrors, 1);
  } catch (e) {
    throw new ApiError("ValidationException", (e as Error).message);
  }
}

/** Everything that must hold for a task: its type has a runner, its targets are the window's, its document exists, its role may be passed. */
async function checkTask(ctx: RequestContext, w: WindowRow, row: TaskRow): Promise<void> {
  const runner = taskTypeRunner(ctx.services, row.task_type);
  const def = taskDefinition(row);
  await checkTaskTargets(ctx, w, def.targets);
  checkRateControl(def.targets, def.maxConcurrency, def.maxErrors);
  await checkServiceRole(ctx, def.serviceRoleArn);
  await runner.validate?.(ctx, def);
}

const str = (v: unknown) => (v === undefined || v === null ? null : JSON.stringify(v));

export const registerTaskWithMaintenanceWindow = op<RegisterTaskWithMaintenanceWindowRequest, RegisterTaskWithMaintenanceWindowResult, WindowRow>({
  service: "ssm",
  name: "RegisterTaskWithMaintenanceWindow",
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    const existing = await listTasks(ctx.services.db, w.window_id);
    const row: TaskRow = {
      window_task_id: randomUUID(),
      window_id: w.window_id,
      account_id: ctx.accountId,
      region: ctx.region,
      task_arn: String(input.TaskArn),
      task_type: String(input.TaskType),
      targets: JSON.stringify(input.Targets ?? []),
      priority: input.Priority ?? 1,
      max_concurrency: input.MaxConcurrency ?? null,
      max_errors: input.MaxErrors ?? null,
      service_role_arn: input.ServiceRoleArn ?? null,
      task_parameters: str(input.TaskParameters),
      invocation_parameters: str(input.TaskInvocationParameters),
      logging_info: str(input.LoggingInfo),
      alarm_configuration: str(input.AlarmConfiguration),
      name: input.Name ?? null,
      description: input.Description ?? null,
      cutoff_behavior: input.CutoffBehavior ?? "CONTINUE_TASK",
      registered_by: ctx.principal.arn,
      client_token: input.ClientToken ?? null,
      created_at: ctx.now().getTime(),
    };
    if (input.ClientToken) {
      const prior = existing.find((t) => t.client_token === input.ClientToken);
      if (prior) {
        if (prior.task_arn !== row.task_arn || prior.task_type !== row.task_type || prior.targets !== row.targets) {
          throw new ApiError("IdempotentParameterMismatch", `ClientToken ${input.ClientToken} was used to register a different task; use a new token.`);
        }
        return { WindowTaskId: prior.window_task_id };
      }
    }
    if (existing.length >= MAX_TASKS) {
      throw new ApiError("ResourceLimitExceededException", `Window ${w.window_id} already has ${MAX_TASKS} tasks, the most allowed; deregister one first.`);
    }
    await checkTask(ctx, w, row);
    await mwDb(ctx.services.db).insertInto("mw_tasks").values(row).execute();
    return { WindowTaskId: row.window_task_id };
  },
});

async function requireTask(ctx: RequestContext, windowId: string, windowTaskId: string): Promise<TaskRow> {
  const row = await mwDb(ctx.services.db)
    .selectFrom("mw_tasks")
    .selectAll()
    .where("window_id", "=", windowId)
    .where("window_task_id", "=", windowTaskId)
    .executeTakeFirst();
  if (!row)
    throw new ApiError(
      "DoesNotExistException",
      `Task ${windowTaskId} is not registered with maintenance window ${windowId}; DescribeMaintenanceWindowTasks lists them.`,
    );
  return row;
}

function taskResult(t: TaskRow): GetMaintenanceWindowTaskResult {
  return {
    WindowId: t.window_id,
    WindowTaskId: t.window_task_id,
    Targets: JSON.parse(t.targets) as Target[],
    TaskArn: t.task_arn,
    ServiceRoleArn: orUndefined(t.service_role_arn),
    TaskType: t.task_type as GetMaintenanceWindowTaskResult["TaskType"],
    TaskParameters: json(t.task_parameters),
    TaskInvocationParameters: json(t.invocation_parameters),
    Priority: t.priority,
    MaxConcurrency: orUndefined(t.max_concurrency),
    MaxErrors: orUndefined(t.max_errors),
    LoggingInfo: json(t.logging_info),
    Name: orUndefined(t.name),
    Description: orUndefined(t.description),
    CutoffBehavior: t.cutoff_behavior as GetMaintenanceWindowTaskResult["CutoffBehavior"],
    AlarmConfiguration: json(t.alarm_configuration),
  };
}

export const getMaintenanceWindowTask = op<GetMaintenanceWindowTaskRequest, GetMaintenanceWindowTaskResult, WindowRow>({
  service: "ssm",
  name: "GetMaintenanceWindowTask",
  readOnly: true,
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    return taskResult(await requireTask(ctx, w.window_id, String(input.WindowTaskId)));
  },
});

export const updateMaintenanceWindowTask = op<UpdateMaintenanceWindowTaskRequest, UpdateMaintenanceWindowTaskResult, WindowRow>({
  service: "ssm",
  name: "UpdateMaintenanceWindowTask",
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    const t = await requireTask(ctx, w.window_id, String(input.WindowTaskId));
    const replace = input.Replace === true;
    const pick = <T>(given: T | undefined, current: T | null): T | null => (given !== undefined ? given : replace ? null : current);
    const pickJson = (given: unknown, current: string | null) => (given !== undefined ? str(given) : replace ? null : current);
    const next: TaskRow = {
      ...t,
      task_arn: input.TaskArn ?? t.task_arn,
      targets: input.Targets ? JSON.stringify(input.Targets) : replace ? "[]" : t.targets,
      priority: input.Priority ?? (replace ? 1 : t.priority),
      max_concurrency: pick(input.MaxConcurrency, t.max_concurrency),
      max_errors: pick(input.MaxErrors, t.max_errors),
      service_role_arn: pick(input.ServiceRoleArn, t.service_role_arn),
      task_parameters: pickJson(input.TaskParameters, t.task_parameters),
      invocation_parameters: pickJson(input.TaskInvocationParameters, t.invocation_parameters),
      logging_info: pickJson(input.LoggingInfo, t.logging_info),
      alarm_configuration: pickJson(input.AlarmConfiguration, t.alarm_configuration),
      name: pick(input.Name, t.name),
      description: pick(input.Description, t.description),
      cutoff_behavior: input.CutoffBehavior ?? (replace ? "CONTINUE_TASK" : t.cutoff_behavior),
      registered_by: ctx.principal.arn,
    };
    await checkTask(ctx, w, next);
    const { window_task_id, ...changes } = next;
    await mwDb(ctx.services.db).updateTable("mw_tasks").set(changes).where("window_task_id", "=", window_task_id).execute();
    const r = taskResult(next);
    return {
      WindowId: r.WindowId,
      WindowTaskId: r.WindowTaskId,
      Targets: r.Targets,
      TaskArn: r.TaskArn,
      ServiceRoleArn: r.ServiceRoleArn,
      TaskParameters: r.TaskParameters,
      TaskInvocationParameters: r.TaskInvocationParameters,
      Priority: r.Priority,
      MaxConcurrency: r.MaxConcurrency,
      MaxErrors: r.MaxErrors,
      LoggingInfo: r.LoggingInfo,
      Name: r.Name,
      Description: r.Description,
      CutoffBehavior: r.CutoffBehavior,
      AlarmConfiguration: r.AlarmConfiguration,
    };
  },
});

export const deregisterTaskFromMaintenanceWindow = op<DeregisterTaskFromMaintenanceWindowRequest, DeregisterTaskFromMaintenanceWindowResult, WindowRow>({
  service: "ssm",
  name: "DeregisterTaskFromMaintenanceWindow",
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    const t = await requireTask(ctx, w.window_id, String(input.WindowTaskId));
    await mwDb(ctx.services.db).deleteFrom("mw_tasks").where("window_task_id", "=", t.window_task_id).execute();
    return { WindowId: w.window_id, WindowTaskId: t.window_task_id };
  },
});

export const describeMaintenanceWindowTasks = op<DescribeMaintenanceWindowTasksRequest, DescribeMaintenanceWindowTasksResult, WindowRow>({
  service: "ssm",
  name: "DescribeMaintenanceWindowTasks",
  readOnly: true,
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    let rows = await listTasks(ctx.services.db, w.window_id);
    for (const f of input.Filters ?? []) {
      const values = f.Values ?? [];
      const field: Record<string, (t: TaskRow) => string> = {
        WindowTaskId: (t) => t.window_task_id,
        TaskArn: (t) => t.task_arn,
        Priority: (t) => String(t.priority),
        TaskType: (t) => t.task_type,
      };
      const get = field[String(f.Key)];
      if (!get)
        throw new ApiError(
          "ValidationException",
          `${f.Key} is not a filter of DescribeMaintenanceWindowTasks; use WindowTaskId, TaskArn, Priority or TaskType.`,
        );
      rows = rows.filter((t) => values.includes(get(t)));
    }
    const page = pageOf(ctx, rows, (t) => t.window_task_id, input, { query: [w.window_id, input.Filters ?? []], defaultSize: 10 });
    return { Tasks: page.items.map(taskView), NextToken: page.nextToken };
  },
});

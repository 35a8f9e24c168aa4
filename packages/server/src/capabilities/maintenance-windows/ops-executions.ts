import type {
  CancelMaintenanceWindowExecutionRequest,
  CancelMaintenanceWindowExecutionResult,
  DescribeMaintenanceWindowExecutionsRequest,
  DescribeMaintenanceWindowExecutionsResult,
  DescribeMaintenanceWindowExecutionTaskInvocationsRequest,
  DescribeMaintenanceWindowExecutionTaskInvocationsResult,
  DescribeMaintenanceWindowExecutionTasksRequest,
  DescribeMaintenanceWindowExecutionTasksResult,
  GetMaintenanceWindowExecutionRequest,
  GetMaintenanceWindowExecutionResult,
  GetMaintenanceWindowExecutionTaskInvocationRequest,
  GetMaintenanceWindowExecutionTaskInvocationResult,
  GetMaintenanceWindowExecutionTaskRequest,
  GetMaintenanceWindowExecutionTaskResult,
  MaintenanceWindowExecution,
  MaintenanceWindowExecutionTaskIdentity,
  MaintenanceWindowExecutionTaskInvocationIdentity,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { isNumberAndString, pageOf, pageRequest } from "../../http/paging.js";
import { op, type RequestContext } from "../../runtime.js";
import { getTags } from "../tags/index.js";
import { windowArn } from "./events.js";
import { requestCancel } from "./executor.js";
import { WINDOW_TAG_TYPE } from "./ops-windows.js";
import { onWindow } from "./ops-targets.js";
import { date, json, orUndefined, requireExecution, requireExecutionTask } from "./store.js";
import { type ExecutionRow, type ExecutionTaskRow, type InvocationRow, mwDb, type TaskRow, type WindowRow } from "./tables.js";

/** Operations on an execution are authorized on its window's ARN. */
async function onExecution(ctx: RequestContext, windowExecutionId: string | undefined) {
  const e = await requireExecution(ctx, String(windowExecutionId));
  return {
    resources: [{ arn: windowArn(ctx.scope, e.window_id), tags: () => getTags(ctx.services.db, ctx.scope, WINDOW_TAG_TYPE, e.window_id) }],
    prepared: e,
  };
}

function executionView(e: ExecutionRow): MaintenanceWindowExecution {
  return {
    WindowId: e.window_id,
    WindowExecutionId: e.window_execution_id,
    Status: e.status as MaintenanceWindowExecution["Status"],
    StatusDetails: orUndefined(e.status_details),
    StartTime: date(e.start_time),
    EndTime: date(e.end_time),
  };
}

function taskIdentity(t: ExecutionTaskRow): MaintenanceWindowExecutionTaskIdentity {
  const task = JSON.parse(t.task) as TaskRow;
  return {
    WindowExecutionId: t.window_execution_id,
    TaskExecutionId: t.task_execution_id,
    Status: t.status as MaintenanceWindowExecutionTaskIdentity["Status"],
    StatusDetails: orUndefined(t.status_details),
    StartTime: date(t.start_time),
    EndTime: date(t.end_time),
    TaskArn: t.task_arn,
    TaskType: t.task_type as MaintenanceWindowExecutionTaskIdentity["TaskType"],
    AlarmConfiguration: json(task.alarm_configuration),
  };
}

function invocationView(i: InvocationRow): MaintenanceWindowExecutionTaskInvocationIdentity {
  return {
    WindowExecutionId: i.window_execution_id,
    TaskExecutionId: i.task_execution_id,
    InvocationId: i.invocation_id,
    ExecutionId: orUndefined(i.execution_id),
    TaskType: i.task_type as MaintenanceWindowExecutionTaskInvocationIdentity["TaskType"],
    Parameters: i.parameters || undefined,
    Status: i.status as MaintenanceWindowExecutionTaskInvocationIdentity["Status"],
    StatusDetails: orUndefined(i.status_details),
    StartTime: date(i.start_time),
    EndTime: date(i.end_time),
    OwnerInformation: orUndefined(i.owner_information),
    WindowTargetId: orUndefined(i.window_target_id),
  };
}

/** Filters of the form Key=Status,Values=[...] (and the executions' ExecutedBefore / ExecutedAfter). */
function statusFilter(filters: { Key?: string; Values?: string[] }[] | undefined, operation: string): string[] | undefined {
  let statuses: string[] | undefined;
  for (const f of filters ?? []) {
    if (f.Key !== "Status") throw new ApiError("ValidationException", `${f.Key} is not a filter of ${operation}; use Status.`);
    statuses = [...(statuses ?? []), ...(f.Values ?? [])];
  }
  return statuses;
}

export const describeMaintenanceWindowExecutions = op<DescribeMaintenanceWindowExecutionsRequest, DescribeMaintenanceWindowExecutionsResult, WindowRow>({
  service: "ssm",
  name: "DescribeMaintenanceWindowExecutions",
  readOnly: true,
  resources: (ctx, input) => onWindow(ctx, input.WindowId),
  async handle(ctx, input, w) {
    let before: number | undefined;
    let after: number | undefined;
    for (const f of input.Filters ?? []) {
      const v = f.Values?.[0];
      const ms = v ? Date.parse(v) : Number.NaN;
      if (f.Key !== "ExecutedBefore" && f.Key !== "ExecutedAfter") {
        throw new ApiError("ValidationException", `${f.Key} is not a filter of DescribeMaintenanceWindowExecutions; use ExecutedBefore or ExecutedAfter.`);
      }
      if (Number.isNaN(ms)) throw new ApiError("ValidationException", `${f.Key} takes one ISO-8601 time such as 2026-12-01T00:00:00Z, not ${v ?? "nothing"}.`);
      if (f.Key === "ExecutedBefore") before = ms;
      else after = ms;
    }
    const page = pageRequest<[number, string]>(ctx, input, { query: [w.window_id, before, after], defaultSize: 10, isKey: isNumberAndString });
    let q = mwDb(ctx.services.db).selectFrom("mw_executions").selectAll().where("window_id", "=", w.window_id);
    if (before !== undefined) q = q.where("start_time", "<", before);
    if (after !== undefined) q = q.where("start_time", ">", after);
    const last = page.after;
    if (last) {
      q = q.where((eb) => eb.or([eb("start_time", "<", last[0]), eb.and([eb("start_time", "=", last[0]), eb("window_execution_id", "<", last[1])])]));
    }
    const rows = await q
      .orderBy("start_time", "desc")
      .orderBy("window_execution_id", "desc")
      .limit(page.size + 1)
      .execute();
    const { items, nextToken } = page.finish(rows, (r) => [r.start_time, r.window_execution_id] as [number, string]);
    return { WindowExecutions: items.map(executionView), NextToken: nextToken };
  },
});

export const getMaintenanceWindowExecution = op<GetMaintenanceWindowExecutionRequest, GetMaintenanceWindowExecutionResult, ExecutionRow>({
  service: "ssm",
  name: "GetMaintenanceWindowExecution",
  readOnly: true,
  resources: (ctx, input) => onExecution(ctx, input.WindowExecutionId),
  async handle(ctx, _input, e) {
    const tasks = await mwDb(ctx.services.db)
      .selectFrom("mw_execution_tasks")
      .select("task_execution_id")
      .where("window_execution_id", "=", e.window_execution_id)
      .orderBy("seq")
      .execute();
    const v = executionView(e);
    return {
      WindowExecutionId: v.WindowExecutionId,
      TaskIds: tasks.map((t) => t.task_execution_id),
      Status: v.Status,
      StatusDetails: v.StatusDetails,
      StartTime: v.StartTime,
      EndTime: v.EndTime,
    };
  },
});

export const describeMaintenanceWindowExecutionTasks = op<
  DescribeMaintenanceWindowExecutionTasksRequest,
  DescribeMaintenanceWindowExecutionTasksResult,
  ExecutionRow
>({
  service: "ssm",
  name: "DescribeMaintenanceWindowExecutionTasks",
  readOnly: true,
  resources: (ctx, input) => onExecution(ctx, input.WindowExecutionId),
  async handle(ctx, input, e) {
    const statuses = statusFilter(input.Filters, "DescribeMaintenanceWindowExecutionTasks");
    let rows = await mwDb(ctx.services.db).selectFrom("mw_execution_tasks").selectAll().where("window_execution_id", "=", e.window_execution_id).execute();
    if (statuses) rows = rows.filter((r) => statuses.includes(r.status));
    const key = (r: ExecutionTaskRow) => `${String(r.seq).padStart(4, "0")}:${r.task_execution_id}`;
    const page = pageOf(ctx, rows, key, input, { query: [e.window_execution_id, statuses], defaultSize: 10 });
    return { WindowExecutionTaskIdentities: page.items.map(taskIdentity), NextToken: page.nextToken };
  },
});

export const getMaintenanceWindowExecutionTask = op<GetMaintenanceWindowExecutionTaskRequest, GetMaintenanceWindowExecutionTaskResult, ExecutionRow>({
  service: "ssm",
  name: "GetMaintenanceWindowExecutionTask",
  readOnly: true,
  resources: (ctx, input) => onExecution(ctx, input.WindowExecutionId),
  async handle(ctx, input, e) {
    const t = await requireExecutionTask(ctx, e.window_execution_id, String(input.TaskId));
    const task = JSON.parse(t.task) as TaskRow;
    const params = json<Record<string, unknown>>(task.task_parameters);
    const id = taskIdentity(t);
    return {
      WindowExecutionId: id.WindowExecutionId,
      TaskExecutionId: id.TaskExecutionId,
      TaskArn: t.task_arn,
      ServiceRole: orUndefined(task.service_role_arn),
      Type: id.TaskType,
      TaskParameters: params ? [params as never] : undefined,
      Priority: t.priority,
      MaxConcurrency: orUndefined(task.max_concurrency),
      MaxErrors: orUndefined(task.max_errors),
      Status: id.Status,
      StatusDetails: id.StatusDetails,
      StartTime: id.StartTime,
      EndTime: id.EndTime,
      AlarmConfiguration: id.AlarmConfiguration,
    };
  },
});

export const describeMaintenanceWindowExecutionTaskInvocations = op<
  DescribeMaintenanceWindowExecutionTaskInvocationsRequest,
  DescribeMaintenanceWindowExecutionTaskInvocationsResult,
  ExecutionRow
>({
  service: "ssm",
  name: "DescribeMaintenanceWindowExecutionTaskInvocations",
  readOnly: true,
  resources: (ctx, input) => onExecution(ctx, input.WindowExecutionId),
  async handle(ctx, input, e) {
    const t = await requireExecutionTask(ctx, e.window_execution_id, String(input.TaskId));
    const statuses = statusFilter(input.Filters, "DescribeMaintenanceWindowExecutionTaskInvocations");
    let rows = await mwDb(ctx.services.db).selectFrom("mw_invocations").selectAll().where("task_execution_id", "=", t.task_execution_id).execute();
    if (statuses) rows = rows.filter((r) => statuses.includes(r.status));
    const key = (r: InvocationRow) => `${String(r.seq).padStart(6, "0")}:${r.invocation_id}`;
    const page = pageOf(ctx, rows, key, input, { query: [t.task_execution_id, statuses], defaultSize: 10 });
    return { WindowExecutionTaskInvocationIdentities: page.items.map(invocationView), NextToken: page.nextToken };
  },
});

export const getMaintenanceWindowExecutionTaskInvocation = op<
  GetMaintenanceWindowExecutionTaskInvocationRequest,
  GetMaintenanceWindowExecutionTaskInvocationResult,
  ExecutionRow
>({
  service: "ssm",
  name: "GetMaintenanceWindowExecutionTaskInvocation",
  readOnly: true,
  resources: (ctx, input) => onExecution(ctx, input.WindowExecutionId),
  async handle(ctx, input, e) {
    const t = await requireExecutionTask(ctx, e.window_execution_id, String(input.TaskId));
    const row = await mwDb(ctx.services.db)
      .selectFrom("mw_invocations")
      .selectAll()
      .where("task_execution_id", "=", t.task_execution_id)
      .where("invocation_id", "=", String(input.InvocationId))
      .executeTakeFirst();
    if (!row) {
      throw new ApiError("DoesNotExistException", `Invocation ${input.InvocationId} is not part of task execution ${t.task_execution_id}.`);
    }
    return invocationView(row);
  },
});

export const cancelMaintenanceWindowExecution = op<CancelMaintenanceWindowExecutionRequest, CancelMaintenanceWindowExecutionResult, ExecutionRow>({
  service: "ssm",
  name: "CancelMaintenanceWindowExecution",
  resources: (ctx, input) => onExecution(ctx, input.WindowExecutionId),
  async handle(ctx, _input, e) {
    await requestCancel(ctx.services, e);
    return { WindowExecutionId: e.window_execution_id };
  },
});

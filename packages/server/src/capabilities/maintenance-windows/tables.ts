import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";

/** Maintenance windows: the windows, their targets and tasks, and the history of every execution. */
export interface WindowTables {
  mw_windows: {
    window_id: string;
    account_id: string;
    region: string;
    name: string;
    description: string | null;
    schedule: string;
    schedule_timezone: string | null;
    schedule_offset: number | null;
    /** StartDate / EndDate as the caller wrote them (ISO 8601), and as instants. */
    start_date: string | null;
    end_date: string | null;
    start_at: number | null;
    end_at: number | null;
    duration: number;
    cutoff: number;
    allow_unassociated_targets: number;
    enabled: number;
    /** The next start the scheduler will act on (null: none comes). Claimed by moving it on. */
    next_execution_at: number | null;
    /** rate(...) schedules repeat from here (creation, or StartDate). */
    anchor_at: number;
    client_token: string | null;
    created_by: string;
    created_at: number;
    modified_at: number;
  };
  mw_targets: {
    window_target_id: string;
    window_id: string;
    account_id: string;
    region: string;
    resource_type: string;
    /** JSON Target[] */
    targets: string;
    owner_information: string | null;
    name: string | null;
    description: string | null;
    client_token: string | null;
    created_at: number;
  };
  mw_tasks: {
    window_task_id: string;
    window_id: string;
    account_id: string;
    region: string;
    task_arn: string;
    task_type: string;
    /** JSON Target[] */
    targets: string;
    priority: number;
    max_concurrency: string | null;
    max_errors: string | null;
    service_role_arn: string | null;
    /** JSON of TaskParameters, TaskInvocationParameters, LoggingInfo, AlarmConfiguration (null when absent). */
    task_parameters: string | null;
    invocation_parameters: string | null;
    logging_info: string | null;
    alarm_configuration: string | null;
    name: string | null;
    description: string | null;
    cutoff_behavior: string;
    /** Who registered or last updated the task: its work runs as this principal unless ServiceRoleArn names a role. */
    registered_by: string;
    client_token: string | null;
    created_at: number;
  };
  mw_executions: {
    window_execution_id: string;
    window_id: string;
    account_id: string;
    region: string;
    status: string;
    status_details: string | null;
    /** The occurrence this execution is for. */
    scheduled_at: number;
    start_time: number;
    end_time: number | null;
    /** No task starts from here on (start + Duration - Cutoff); the window closes at close_at. */
    cutoff_at: number;
    close_at: number;
    cancel_requested: number;
    /** 1 until the execution reaches a final status. */
    open: number;
  };
  mw_execution_tasks: {
    task_execution_id: string;
    window_execution_id: string;
    window_id: string;
    account_id: string;
    region: string;
    window_task_id: string;
    /** The task as registered when the execution started (JSON of the mw_tasks row). */
    task: string;
    task_arn: string;
    task_type: string;
    priority: number;
    seq: number;
    status: string;
    status_details: string | null;
    start_time: number | null;
    end_time: number | null;
    /** JSON of the resolved targets: [{ resourceId, windowTargetId, ownerInformation, targetType }] (null until started). */
    resolved_targets: string | null;
  };
  mw_invocations: {
    invocation_id: string;
    task_execution_id: string;
    window_execution_id: string;
    account_id: string;
    region: string;
    seq: number;
    /** What the task type started for it (a command id, an automation execution id). */
    execution_id: string | null;
    task_type: string;
    parameters: string;
    status: string;
    status_details: string | null;
    start_time: number;
    end_time: number | null;
    owner_information: string | null;
    window_target_id: string | null;
    resource_id: string | null;
  };
}

export const mwDb = (db: AnyDb): Kysely<WindowTables> => db as unknown as Kysely<WindowTables>;

export type WindowRow = WindowTables["mw_windows"];
export type TargetRow = WindowTables["mw_targets"];
export type TaskRow = WindowTables["mw_tasks"];
export type ExecutionRow = WindowTables["mw_executions"];
export type ExecutionTaskRow = WindowTables["mw_execution_tasks"];
export type InvocationRow = WindowTables["mw_invocations"];

export function windowMigrations(): Record<string, Migration> {
  return {
    "maintenance-windows-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("mw_windows")
          .addColumn("window_id", "varchar(20)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name", "varchar(128)", (c) => c.notNull())
          .addColumn("description", "text")
          .addColumn("schedule", "varchar(256)", (c) => c.notNull())
          .addColumn("schedule_timezone", "varchar(64)")
          .addColumn("schedule_offset", "integer")
          .addColumn("start_date", "varchar(64)")
          .addColumn("end_date", "varchar(64)")
          .addColumn("start_at", "bigint")
          .addColumn("end_at", "bigint")
          .addColumn("duration", "integer", (c) => c.notNull())
          .addColumn("cutoff", "integer", (c) => c.notNull())
          .addColumn("allow_unassociated_targets", "integer", (c) => c.notNull())
          .addColumn("enabled", "integer", (c) => c.notNull())
          .addColumn("next_execution_at", "bigint")
          .addColumn("anchor_at", "bigint", (c) => c.notNull())
          .addColumn("client_token", "varchar(64)")
          .addColumn("created_by", "varchar(400)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("modified_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("mw_windows_scope").on("mw_windows").columns(["account_id", "region", "window_id"]).execute();
        await db.schema.createIndex("mw_windows_due").on("mw_windows").columns(["enabled", "next_execution_at"]).execute();
        await db.schema
          .createTable("mw_targets")
          .addColumn("window_target_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("window_id", "varchar(20)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("resource_type", "varchar(32)", (c) => c.notNull())
          .addColumn("targets", "text", (c) => c.notNull())
          .addColumn("owner_information", "text")
          .addColumn("name", "varchar(128)")
          .addColumn("description", "text")
          .addColumn("client_token", "varchar(64)")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("mw_targets_window").on("mw_targets").columns(["window_id", "window_target_id"]).execute();
        await db.schema
          .createTable("mw_tasks")
          .addColumn("window_task_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("window_id", "varchar(20)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("task_arn", "varchar(1600)", (c) => c.notNull())
          .addColumn("task_type", "varchar(32)", (c) => c.notNull())
          .addColumn("targets", "text", (c) => c.notNull())
          .addColumn("priority", "integer", (c) => c.notNull())
          .addColumn("max_concurrency", "varchar(16)")
          .addColumn("max_errors", "varchar(16)")
          .addColumn("service_role_arn", "varchar(400)")
          .addColumn("task_parameters", "text")
          .addColumn("invocation_parameters", "text")
          .addColumn("logging_info", "text")
          .addColumn("alarm_configuration", "text")
          .addColumn("name", "varchar(128)")
          .addColumn("description", "text")
          .addColumn("cutoff_behavior", "varchar(32)", (c) => c.notNull())
          .addColumn("registered_by", "varchar(400)", (c) => c.notNull())
          .addColumn("client_token", "varchar(64)")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("mw_tasks_window").on("mw_tasks").columns(["window_id", "window_task_id"]).execute();
        await db.schema
          .createTable("mw_executions")
          .addColumn("window_execution_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("window_id", "varchar(20)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("status_details", "text")
          .addColumn("scheduled_at", "bigint", (c) => c.notNull())
          .addColumn("start_time", "bigint", (c) => c.notNull())
          .addColumn("end_time", "bigint")
          .addColumn("cutoff_at", "bigint", (c) => c.notNull())
          .addColumn("close_at", "bigint", (c) => c.notNull())
          .addColumn("cancel_requested", "integer", (c) => c.notNull())
          .addColumn("open", "integer", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("mw_executions_window").on("mw_executions").columns(["window_id", "start_time"]).execute();
        await db.schema.createIndex("mw_executions_open").on("mw_executions").columns(["open"]).execute();
        await db.schema
          .createTable("mw_execution_tasks")
          .addColumn("task_execution_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("window_execution_id", "varchar(36)", (c) => c.notNull())
          .addColumn("window_id", "varchar(20)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("window_task_id", "varchar(36)", (c) => c.notNull())
          .addColumn("task", "text", (c) => c.notNull())
          .addColumn("task_arn", "varchar(1600)", (c) => c.notNull())
          .addColumn("task_type", "varchar(32)", (c) => c.notNull())
          .addColumn("priority", "integer", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("status_details", "text")
          .addColumn("start_time", "bigint")
          .addColumn("end_time", "bigint")
          .addColumn("resolved_targets", "text")
          .execute();
        await db.schema.createIndex("mw_execution_tasks_execution").on("mw_execution_tasks").columns(["window_execution_id", "seq"]).execute();
        await db.schema
          .createTable("mw_invocations")
          .addColumn("invocation_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("task_execution_id", "varchar(36)", (c) => c.notNull())
          .addColumn("window_execution_id", "varchar(36)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("execution_id", "varchar(64)")
          .addColumn("task_type", "varchar(32)", (c) => c.notNull())
          .addColumn("parameters", "text", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("status_details", "text")
          .addColumn("start_time", "bigint", (c) => c.notNull())
          .addColumn("end_time", "bigint")
          .addColumn("owner_information", "text")
          .addColumn("window_target_id", "varchar(36)")
          .addColumn("resource_id", "varchar(64)")
          .execute();
        await db.schema.createIndex("mw_invocations_task").on("mw_invocations").columns(["task_execution_id", "seq"]).execute();
      },
    },
  };
}

import type { Kysely, Migration } from "kysely";
import { type AnyDb, type Engine, tables } from "../../storage/database.js";

/**
 * Automation: one row per execution (a parent over targets, a child per target, or a plain run), one
 * row per step execution, and execution previews. Every step transition is a row change, so an
 * execution resumes from storage after a crash.
 */
export interface AutomationTables {
  automation_executions: {
    execution_id: string;
    account_id: string;
    region: string;
    document_name: string;
    document_version: string;
    /** The runbook's parsed content as it was when the execution started (JSON). */
    runbook: string;
    mode: string;
    status: string;
    failure_message: string | null;
    /** Parameters as the API shows them (JSON Record<string, string[]>). */
    parameters: string;
    /** Parameters as typed values, for references (JSON). */
    typed_parameters: string;
    /** Variables of the runbook, typed (JSON). */
    variables: string;
    /** The runbook's declared outputs, resolved at the end (JSON Record<string, string[]>). */
    outputs: string;
    executed_by: string;
    /** The principal the execution acts as: the caller, or its AutomationAssumeRole. */
    identity_arn: string;
    parent_execution_id: string | null;
    /** Rate control (parents): Targets, TargetMaps, TargetParameterName, MaxConcurrency, MaxErrors. */
    targets: string | null;
    target_maps: string | null;
    target_parameter_name: string | null;
    max_concurrency: string | null;
    max_errors: string | null;
    /** JSON string[] — the targets a parent resolved; a child's own target. */
    resolved_targets: string | null;
    target: string | null;
    /** Parents: how many children were started, how many ended, how many of them in error. */
    children_started: number;
    children_done: number;
    children_failed: number;
    /** The step the executor runs next (main step index), -1 when none is left. */
    next_step: string | null;
    current_step_name: string | null;
    current_action: string | null;
    /** Cancel or Complete, once StopAutomationExecution asked. */
    stop_requested: string | null;
    started_at: number;
    ended_at: number | null;
    /** When the scheduler next looks at it (server clock); null: it is not waiting on time. */
    wake_at: number | null;
    /** The replica running it now, until (wall time): one replica runs each step. */
    lease_owner: string | null;
    lease_until: number | null;
    /** JSON of AlarmConfiguration, shown back. */
    alarm_configuration: string | null;
    client_token: string | null;
    /** The step execution of a parent runbook's aws:executeAutomation that started this one. */
    parent_step_execution_id: string | null;
    /** "ChangeRequest" for a Change Manager change request, "AccessRequest" for a just-in-time access request (AutomationSubtype); null otherwise. */
    automation_subtype: string | null;
    /** The OpsItem that tracks the execution (a change request's /aws/changerequest OpsItem). */
    ops_item_id: string | null;
    /** A change request's ChangeRequestName, ScheduledTime, ScheduledEndTime (epoch ms) and Runbooks, JSON. */
    change_request: string | null;
  };
  automation_steps: {
    step_execution_id: string;
    execution_id: string;
    /** Order in which steps ran. */
    seq: number;
    step_name: string;
    action: string;
    status: string;
    inputs: string;
    outputs: string;
    response: string | null;
    response_code: string | null;
    failure_message: string | null;
    failure_details: string | null;
    on_failure: string | null;
    on_cancel: string | null;
    is_critical: number;
    is_end: number;
    next_step: string | null;
    max_attempts: number;
    attempt: number;
    timeout_seconds: number | null;
    /** The action's own state while it runs (a command id, approvals, a deadline), JSON. */
    state: string | null;
    /** Loops: the aws:loop step execution this one ran under, and the iteration. */
    parent_step_execution_id: string | null;
    iteration: number | null;
    iterator_value: string | null;
    overridden_parameters: string | null;
    valid_next_steps: string | null;
    started_at: number | null;
    ended_at: number | null;
    deadline: number | null;
  };
  /** Signals (Approve, Reject, Resume, StartStep, StopStep) waiting for the executor to apply them. */
  automation_signals: {
    signal_id: string;
    execution_id: string;
    signal_type: string;
    /** JSON Record<string, string[]> */
    payload: string;
    principal_arn: string;
    created_at: number;
  };
  automation_previews: {
    preview_id: string;
    account_id: string;
    region: string;
    status: string;
    status_message: string | null;
    created_at: number;
    ended_at: number | null;
    preview: string | null;
  };
}

export type ExecutionRow = AutomationTables["automation_executions"];
export type StepRow = AutomationTables["automation_steps"];
export type SignalRow = AutomationTables["automation_signals"];

export const automationDb = (db: AnyDb): Kysely<AutomationTables> => tables<AutomationTables>(db);

export function automationMigrations(_engine: Engine): Record<string, Migration> {
  return {
    "automation-001-executions": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("automation_executions")
          .addColumn("execution_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("document_name", "varchar(512)", (c) => c.notNull())
          .addColumn("document_version", "varchar(16)", (c) => c.notNull())
          .addColumn("runbook", "text", (c) => c.notNull())
          .addColumn("mode", "varchar(16)", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("failure_message", "text")
          .addColumn("parameters", "text", (c) => c.notNull())
          .addColumn("typed_parameters", "text", (c) => c.notNull())
          .addColumn("variables", "text", (c) => c.notNull())
          .addColumn("outputs", "text", (c) => c.notNull())
          .addColumn("executed_by", "varchar(512)", (c) => c.notNull())
          .addColumn("identity_arn", "varchar(512)", (c) => c.notNull())
          .addColumn("parent_execution_id", "varchar(36)")
          .addColumn("targets", "text")
          .addColumn("target_maps", "text")
          .addColumn("target_parameter_name", "varchar(64)")
          .addColumn("max_concurrency", "varchar(16)")
          .addColumn("max_errors", "varchar(16)")
          .addColumn("resolved_targets", "text")
          .addColumn("target", "varchar(512)")
          .addColumn("children_started", "integer", (c) => c.notNull())
          .addColumn("children_done", "integer", (c) => c.notNull())
          .addColumn("children_failed", "integer", (c) => c.notNull())
          .addColumn("next_step", "varchar(128)")
          .addColumn("current_step_name", "varchar(128)")
          .addColumn("current_action", "varchar(64)")
          .addColumn("stop_requested", "varchar(16)")
          .addColumn("started_at", "bigint", (c) => c.notNull())
          .addColumn("ended_at", "bigint")
          .addColumn("wake_at", "bigint")
          .addColumn("lease_owner", "varchar(64)")
          .addColumn("lease_until", "bigint")
          .addColumn("alarm_configuration", "text")
          .addColumn("client_token", "varchar(64)")
          .addColumn("parent_step_execution_id", "varchar(36)")
          .execute();
        await db.schema.createIndex("automation_executions_scope").on("automation_executions").columns(["account_id", "region", "started_at"]).execute();
        await db.schema.createIndex("automation_executions_wake").on("automation_executions").columns(["wake_at"]).execute();
        await db.schema.createIndex("automation_executions_parent").on("automation_executions").columns(["parent_execution_id"]).execute();
        await db.schema
          .createTable("automation_steps")
          .addColumn("step_execution_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("execution_id", "varchar(36)", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("step_name", "varchar(128)", (c) => c.notNull())
          .addColumn("action", "varchar(64)", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("inputs", "text", (c) => c.notNull())
          .addColumn("outputs", "text", (c) => c.notNull())
          .addColumn("response", "text")
          .addColumn("response_code", "varchar(64)")
          .addColumn("failure_message", "text")
          .addColumn("failure_details", "text")
          .addColumn("on_failure", "varchar(140)")
          .addColumn("on_cancel", "varchar(140)")
          .addColumn("is_critical", "integer", (c) => c.notNull())
          .addColumn("is_end", "integer", (c) => c.notNull())
          .addColumn("next_step", "varchar(128)")
          .addColumn("max_attempts", "integer", (c) => c.notNull())
          .addColumn("attempt", "integer", (c) => c.notNull())
          .addColumn("timeout_seconds", "bigint")
          .addColumn("state", "text")
          .addColumn("parent_step_execution_id", "varchar(36)")
          .addColumn("iteration", "integer")
          .addColumn("iterator_value", "text")
          .addColumn("overridden_parameters", "text")
          .addColumn("valid_next_steps", "text")
          .addColumn("started_at", "bigint")
          .addColumn("ended_at", "bigint")
          .addColumn("deadline", "bigint")
          .execute();
        await db.schema.createIndex("automation_steps_execution").on("automation_steps").columns(["execution_id", "seq"]).unique().execute();
        await db.schema
          .createTable("automation_signals")
          .addColumn("signal_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("execution_id", "varchar(36)", (c) => c.notNull())
          .addColumn("signal_type", "varchar(16)", (c) => c.notNull())
          .addColumn("payload", "text", (c) => c.notNull())
          .addColumn("principal_arn", "varchar(512)", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("automation_signals_execution").on("automation_signals").columns(["execution_id", "created_at"]).execute();
        await db.schema
          .createTable("automation_previews")
          .addColumn("preview_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("status", "varchar(16)", (c) => c.notNull())
          .addColumn("status_message", "text")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("ended_at", "bigint")
          .addColumn("preview", "text")
          .execute();
      },
    },
    "automation-002-change-requests": {
      async up(db: AnyDb) {
        await db.schema.alterTable("automation_executions").addColumn("automation_subtype", "varchar(32)").execute();
        await db.schema.alterTable("automation_executions").addColumn("ops_item_id", "varchar(64)").execute();
        await db.schema.alterTable("automation_executions").addColumn("change_request", "text").execute();
      },
    },
  };
}

import type { Kysely, Migration } from "kysely";
import type { AnyDb, Engine } from "../../storage/database.js";

/** Run Command: commands, one invocation per target node, one plugin row per document step, and the output. */
export interface CommandTables {
  commands_commands: {
    command_id: string;
    account_id: string;
    region: string;
    document_name: string;
    document_version: string;
    document_arn: string;
    comment: string;
    /** The Parameters the caller gave (JSON of Record<string, string[]>). */
    parameters: string;
    /** JSON string[] — the InstanceIds the caller gave. */
    instance_ids: string;
    /** JSON Target[] — the Targets the caller gave. */
    targets: string;
    requested_at: number;
    expires_after: number;
    /** TimeoutSeconds: how long an invocation may wait to be delivered. */
    delivery_timeout_seconds: number;
    /** The document's execution timeout (executionTimeout parameter, else 3600 per step). */
    execution_timeout_seconds: number;
    status: string;
    status_details: string;
    max_concurrency: string;
    max_errors: string;
    target_count: number;
    completed_count: number;
    error_count: number;
    delivery_timed_out_count: number;
    output_s3_region: string | null;
    output_s3_bucket_name: string | null;
    output_s3_key_prefix: string | null;
    service_role: string | null;
    /** JSON of NotificationConfig, CloudWatchOutputConfig, AlarmConfiguration (recorded, shown back). */
    notification_config: string | null;
    cloudwatch_output_config: string | null;
    alarm_configuration: string | null;
    /** The SendCommandPayload sent to every node (JSON). */
    payload: string;
    /** JSON string[] — step (plugin) names in document order. */
    plugin_names: string;
    cancel_requested: number;
    requested_by: string;
    finished_at: number | null;
  };
  commands_invocations: {
    command_id: string;
    instance_id: string;
    account_id: string;
    region: string;
    /** Order in which rate control starts invocations. */
    seq: number;
    instance_name: string;
    status: string;
    status_details: string;
    /** 1 once rate control handed the invocation to delivery. */
    dispatched: number;
    /** 1 once the status is final (it never changes again). */
    terminal: number;
    requested_at: number;
    dispatched_at: number | null;
    delivered_at: number | null;
    acknowledged_at: number | null;
    finished_at: number | null;
    /** Not acknowledged by then: DeliveryTimedOut (requested + TimeoutSeconds). */
    delivery_deadline: number;
    /** Still running by then: ExecutionTimedOut (acknowledged + execution timeout + grace). */
    execution_deadline: number | null;
    trace_output: string;
    /** The aws.ssm.cancelCommand message sent for it, if any. */
    cancel_message_id: string | null;
    updated_at: number;
    /** The data key its output and summaries are sealed with, itself sealed under the master key (set with the first output). */
    output_key: Buffer | null;
    /** 1 when the agent sent only the start of a step's stdout / stderr (AWS's agent cuts at 24,000 bytes): the whole is not held. */
    stdout_cut: number | null;
    stderr_cut: number | null;
  };
  commands_plugins: {
    command_id: string;
    instance_id: string;
    name: string;
    seq: number;
    status: string;
    status_details: string;
    response_code: number;
    response_start: number | null;
    response_finish: number | null;
    /** Before output was sealed: the summary in plaintext (sealed and emptied by the commands-seal-output job). */
    output: string;
    /** The agent's combined output summary (CommandPlugin.Output, at most 2500 characters), sealed under the invocation's output key. */
    output_sealed: Buffer | null;
    terminal: number;
    /** 1 when the agent sent only the start of this step's stdout / stderr: the whole is not held. */
    stdout_cut: number | null;
    stderr_cut: number | null;
  };
  /** Pieces of a plugin's stdout/stderr, keyed by their offset in the whole text, sealed under the invocation's output key. */
  commands_output_sealed: {
    command_id: string;
    instance_id: string;
    plugin: string;
    stream: string;
    /** Offset of the piece in the whole text (UTF-16 code units). */
    position: number;
    /** Length of the piece's text (UTF-16 code units): a longer piece at the same offset replaces it. */
    length: number;
    data: Buffer;
  };
  /** Before output was sealed: pieces in plaintext, sealed into commands_output_sealed by the commands-seal-output job. */
  commands_output: {
    command_id: string;
    instance_id: string;
    plugin: string;
    stream: string;
    /** Offset of the piece in the whole text (UTF-16 code units). */
    position: number;
    text: string;
  };
}

export const commandDb = (db: AnyDb): Kysely<CommandTables> => db as unknown as Kysely<CommandTables>;

export type CommandRow = CommandTables["commands_commands"];
export type InvocationRow = CommandTables["commands_invocations"];
export type PluginRow = CommandTables["commands_plugins"];

export function commandMigrations(engine: Engine): Record<string, Migration> {
  const blob = engine === "postgres" ? "bytea" : "blob";
  return {
    "commands-001-init": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("commands_commands")
          .addColumn("command_id", "varchar(36)", (c) => c.primaryKey())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("document_name", "varchar(200)", (c) => c.notNull())
          .addColumn("document_version", "varchar(32)", (c) => c.notNull())
          .addColumn("document_arn", "varchar(400)", (c) => c.notNull())
          .addColumn("comment", "varchar(200)", (c) => c.notNull())
          .addColumn("parameters", "text", (c) => c.notNull())
          .addColumn("instance_ids", "text", (c) => c.notNull())
          .addColumn("targets", "text", (c) => c.notNull())
          .addColumn("requested_at", "bigint", (c) => c.notNull())
          .addColumn("expires_after", "bigint", (c) => c.notNull())
          .addColumn("delivery_timeout_seconds", "integer", (c) => c.notNull())
          .addColumn("execution_timeout_seconds", "integer", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("status_details", "varchar(100)", (c) => c.notNull())
          .addColumn("max_concurrency", "varchar(16)", (c) => c.notNull())
          .addColumn("max_errors", "varchar(16)", (c) => c.notNull())
          .addColumn("target_count", "integer", (c) => c.notNull())
          .addColumn("completed_count", "integer", (c) => c.notNull())
          .addColumn("error_count", "integer", (c) => c.notNull())
          .addColumn("delivery_timed_out_count", "integer", (c) => c.notNull())
          .addColumn("output_s3_region", "varchar(32)")
          .addColumn("output_s3_bucket_name", "varchar(100)")
          .addColumn("output_s3_key_prefix", "varchar(600)")
          .addColumn("service_role", "varchar(400)")
          .addColumn("notification_config", "text")
          .addColumn("cloudwatch_output_config", "text")
          .addColumn("alarm_configuration", "text")
          .addColumn("payload", "text", (c) => c.notNull())
          .addColumn("plugin_names", "text", (c) => c.notNull())
          .addColumn("cancel_requested", "integer", (c) => c.notNull())
          .addColumn("requested_by", "varchar(400)", (c) => c.notNull())
          .addColumn("finished_at", "bigint")
          .execute();
        await db.schema.createIndex("commands_by_time").on("commands_commands").columns(["account_id", "region", "requested_at"]).execute();
        await db.schema
          .createTable("commands_invocations")
          .addColumn("command_id", "varchar(36)", (c) => c.notNull())
          .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("instance_name", "varchar(255)", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("status_details", "varchar(100)", (c) => c.notNull())
          .addColumn("dispatched", "integer", (c) => c.notNull())
          .addColumn("terminal", "integer", (c) => c.notNull())
          .addColumn("requested_at", "bigint", (c) => c.notNull())
          .addColumn("dispatched_at", "bigint")
          .addColumn("delivered_at", "bigint")
          .addColumn("acknowledged_at", "bigint")
          .addColumn("finished_at", "bigint")
          .addColumn("delivery_deadline", "bigint", (c) => c.notNull())
          .addColumn("execution_deadline", "bigint")
          .addColumn("trace_output", "text", (c) => c.notNull())
          .addColumn("cancel_message_id", "varchar(200)")
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("commands_invocations_pk", ["command_id", "instance_id"])
          .execute();
        await db.schema
          .createIndex("commands_invocations_by_node")
          .on("commands_invocations")
          .columns(["account_id", "region", "instance_id", "requested_at"])
          .execute();
        await db.schema
          .createIndex("commands_invocations_rollout")
          .on("commands_invocations")
          .columns(["command_id", "dispatched", "terminal", "seq"])
          .execute();
        await db.schema.createIndex("commands_invocations_delivery").on("commands_invocations").columns(["terminal", "delivery_deadline"]).execute();
        await db.schema.createIndex("commands_invocations_execution").on("commands_invocations").columns(["terminal", "execution_deadline"]).execute();
        await db.schema
          .createTable("commands_plugins")
          .addColumn("command_id", "varchar(36)", (c) => c.notNull())
          .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
          .addColumn("name", "varchar(200)", (c) => c.notNull())
          .addColumn("seq", "integer", (c) => c.notNull())
          .addColumn("status", "varchar(32)", (c) => c.notNull())
          .addColumn("status_details", "varchar(100)", (c) => c.notNull())
          .addColumn("response_code", "integer", (c) => c.notNull())
          .addColumn("response_start", "bigint")
          .addColumn("response_finish", "bigint")
          .addColumn("output", "text", (c) => c.notNull())
          .addColumn("terminal", "integer", (c) => c.notNull())
          .addPrimaryKeyConstraint("commands_plugins_pk", ["command_id", "instance_id", "name"])
          .execute();
        await db.schema
          .createTable("commands_output")
          .addColumn("command_id", "varchar(36)", (c) => c.notNull())
          .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
          .addColumn("plugin", "varchar(200)", (c) => c.notNull())
          .addColumn("stream", "varchar(8)", (c) => c.notNull())
          .addColumn("position", "bigint", (c) => c.notNull())
          .addColumn("text", "text", (c) => c.notNull())
          .addPrimaryKeyConstraint("commands_output_pk", ["command_id", "instance_id", "plugin", "stream", "position"])
          .execute();
      },
    },
    "commands-002-sealed-output": {
      async up(db: AnyDb) {
        await db.schema.alterTable("commands_invocations").addColumn("output_key", blob).execute();
        for (const table of ["commands_invocations", "commands_plugins"]) {
          await db.schema
            .alterTable(table)
            .addColumn("stdout_cut", "integer", (c) => c.defaultTo(0))
            .execute();
          await db.schema
            .alterTable(table)
            .addColumn("stderr_cut", "integer", (c) => c.defaultTo(0))
            .execute();
        }
        await db.schema.alterTable("commands_plugins").addColumn("output_sealed", blob).execute();
        await db.schema
          .createTable("commands_output_sealed")
          .addColumn("command_id", "varchar(36)", (c) => c.notNull())
          .addColumn("instance_id", "varchar(64)", (c) => c.notNull())
          .addColumn("plugin", "varchar(200)", (c) => c.notNull())
          .addColumn("stream", "varchar(8)", (c) => c.notNull())
          .addColumn("position", "bigint", (c) => c.notNull())
          .addColumn("length", "bigint", (c) => c.notNull())
          .addColumn("data", blob, (c) => c.notNull())
          .addPrimaryKeyConstraint("commands_output_sealed_pk", ["command_id", "instance_id", "plugin", "stream", "position"])
          .execute();
      },
    },
  };
}

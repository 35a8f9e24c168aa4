import type { Command, CommandInvocation, CommandPlugin, Target } from "@aws-sdk/client-ssm";
import type { Services } from "../../runtime.js";
import { openOutputKey, openSummary } from "./output-store.js";
import { heldOutputUrl } from "./output-urls.js";
import type { CommandRow, InvocationRow, PluginRow } from "./tables.js";

const json = <T>(text: string | null, fallback: T): T => (text ? (JSON.parse(text) as T) : fallback);

function notificationConfig(row: CommandRow) {
  return json(row.notification_config, { NotificationArn: "", NotificationEvents: [], NotificationType: "" });
}

function cloudWatchConfig(row: CommandRow) {
  return json(row.cloudwatch_output_config, { CloudWatchLogGroupName: "", CloudWatchOutputEnabled: false });
}

/** A command as ListCommands and SendCommand return it. */
export function commandView(row: CommandRow): Command {
  const view: Command = {
    CommandId: row.command_id,
    DocumentName: row.document_name,
    DocumentVersion: row.document_version,
    Comment: row.comment,
    ExpiresAfter: new Date(row.expires_after),
    Parameters: json<Record<string, string[]>>(row.parameters, {}),
    InstanceIds: json<string[]>(row.instance_ids, []),
    Targets: json<Target[]>(row.targets, []),
    RequestedDateTime: new Date(row.requested_at),
    Status: row.status as Command["Status"],
    StatusDetails: row.status_details,
    OutputS3Region: row.output_s3_region ?? row.region,
    OutputS3BucketName: row.output_s3_bucket_name ?? "",
    OutputS3KeyPrefix: row.output_s3_key_prefix ?? "",
    MaxConcurrency: row.max_concurrency,
    MaxErrors: row.max_errors,
    TargetCount: row.target_count,
    CompletedCount: row.completed_count,
    ErrorCount: row.error_count,
    DeliveryTimedOutCount: row.delivery_timed_out_count,
    ServiceRole: row.service_role ?? "",
    NotificationConfig: notificationConfig(row) as Command["NotificationConfig"],
    CloudWatchOutputConfig: cloudWatchConfig(row),
    TimeoutSeconds: row.delivery_timeout_seconds,
  };
  if (row.alarm_configuration) view.AlarmConfiguration = JSON.parse(row.alarm_configuration);
  return view;
}

export function pluginView(services: Services, cmd: CommandRow, inv: InvocationRow, p: PluginRow, outputKey = openOutputKey(services, inv)): CommandPlugin {
  return {
    Name: p.name,
    Status: p.status as CommandPlugin["Status"],
    StatusDetails: p.status_details,
    ResponseCode: p.response_code,
    ResponseStartDateTime: p.response_start !== null ? new Date(p.response_start) : undefined,
    ResponseFinishDateTime: p.response_finish !== null ? new Date(p.response_finish) : undefined,
    Output: openSummary(outputKey, cmd.command_id, inv.instance_id, p),
    StandardOutputUrl: heldOutputUrl(services, cmd.command_id, inv.instance_id, p.name, "stdout", p),
    StandardErrorUrl: heldOutputUrl(services, cmd.command_id, inv.instance_id, p.name, "stderr", p),
    OutputS3Region: cmd.output_s3_region ?? cmd.region,
    OutputS3BucketName: cmd.output_s3_bucket_name ?? "",
    OutputS3KeyPrefix: cmd.output_s3_key_prefix ?? "",
  };
}

/** An invocation as ListCommandInvocations returns it (CommandPlugins with Details). */
export function invocationView(services: Services, cmd: CommandRow, inv: InvocationRow, plugins?: PluginRow[]): CommandInvocation {
  const names = json<string[]>(cmd.plugin_names, []);
  const single = names.length === 1 ? names[0] : undefined;
  const view: CommandInvocation = {
    CommandId: cmd.command_id,
    InstanceId: inv.instance_id,
    InstanceName: inv.instance_name,
    Comment: cmd.comment,
    DocumentName: cmd.document_name,
    DocumentVersion: cmd.document_version,
    RequestedDateTime: new Date(inv.requested_at),
    Status: inv.status as CommandInvocation["Status"],
    StatusDetails: inv.status_details,
    TraceOutput: inv.trace_output,
    StandardOutputUrl: single ? heldOutputUrl(services, cmd.command_id, inv.instance_id, single, "stdout", inv) : "",
    StandardErrorUrl: single ? heldOutputUrl(services, cmd.command_id, inv.instance_id, single, "stderr", inv) : "",
    ServiceRole: cmd.service_role ?? "",
    NotificationConfig: notificationConfig(cmd) as CommandInvocation["NotificationConfig"],
    CloudWatchOutputConfig: cloudWatchConfig(cmd),
  };
  if (plugins) {
    const outputKey = openOutputKey(services, inv);
    view.CommandPlugins = plugins.map((p) => pluginView(services, cmd, inv, p, outputKey));
  }
  return view;
}

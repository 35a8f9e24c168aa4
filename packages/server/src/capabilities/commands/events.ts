import type { EventInput } from "../../events/bus.js";
import type { Services } from "../../runtime.js";
import { nodeArn } from "../nodes/index.js";
import type { CommandFacts } from "./command-facts.js";
import type { CommandRow } from "./tables.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** Where an event goes: the bus at once, or a transaction's `tx.publish` (delivered after its commit). */
type Emit = (event: EventInput) => unknown;
const onBus =
  (services: Services, now: number): Emit =>
  (event) =>
    services.events.publish(event, now);

/** "EC2 Command Status-change Notification", as EventBridge delivers it for Run Command. */
export async function publishCommandStatus(
  services: Services,
  cmd: CommandRow,
  status: string,
  instanceIds: string[],
  now: number,
  emit: Emit = onBus(services, now),
): Promise<void> {
  const scope = { accountId: cmd.account_id, region: cmd.region };
  await emit({
    "detail-type": "EC2 Command Status-change Notification",
    account: cmd.account_id,
    region: cmd.region,
    resources: instanceIds.map((id) => nodeArn(scope, id)),
    detail: {
      "command-id": cmd.command_id,
      "document-name": cmd.document_name,
      "expire-after": iso(cmd.expires_after),
      parameters: JSON.parse(cmd.parameters) as Record<string, string[]>,
      "requested-date-time": iso(cmd.requested_at),
      status,
    },
  });
  // As AWS's summary message: the instance ids the caller named (none when it sent by Targets).
  await notify(cmd, "Command", status, now, { instanceIds: JSON.parse(cmd.instance_ids) as string[] }, emit);
}

/** "EC2 Command Invocation Status-change Notification": one node's invocation changed status. */
export async function publishInvocationStatus(services: Services, cmd: CommandFacts, instanceId: string, status: string, now: number): Promise<void> {
  const scope = { accountId: cmd.account_id, region: cmd.region };
  await services.events.publish(
    {
      "detail-type": "EC2 Command Invocation Status-change Notification",
      account: cmd.account_id,
      region: cmd.region,
      resources: [nodeArn(scope, instanceId)],
      detail: {
        "command-id": cmd.command_id,
        "document-name": cmd.document_name,
        "instance-id": instanceId,
        "requested-date-time": iso(cmd.requested_at),
        status,
      },
    },
    now,
  );
  await notify(cmd, "Invocation", status, now, { instanceId }, onBus(services, now));
}

/** The statuses Run Command notifies (Pending and Cancelling never are). */
const NOTIFIED = new Set(["InProgress", "Success", "Failed", "TimedOut", "Cancelled"]);

interface NotificationConfig {
  NotificationArn?: string;
  NotificationEvents?: string[];
  NotificationType?: string;
}

/**
 * The SendCommand NotificationConfig: where AWS posts to the SNS topic, openssm publishes a
 * "Run Command Notification" on its event bus (event log and webhooks) with the SNS message's
 * fields, for the chosen events (All, or named statuses) and type (Command summaries or per-node
 * Invocations), with the topic ARN as the event's resource.
 */
async function notify(
  cmd: CommandFacts,
  type: "Command" | "Invocation",
  status: string,
  now: number,
  about: { instanceIds: string[] } | { instanceId: string },
  emit: Emit,
): Promise<void> {
  if (!cmd.notification_config || !NOTIFIED.has(status)) return;
  let config: NotificationConfig;
  try {
    config = JSON.parse(cmd.notification_config) as NotificationConfig;
  } catch {
    return;
  }
  if (!config.NotificationArn) return;
  if ((config.NotificationType ?? "Command") !== type) return;
  const events = config.NotificationEvents?.length ? config.NotificationEvents : ["All"];
  if (!events.includes("All") && !events.includes(status)) return;
  const message: Record<string, unknown> = { commandId: cmd.command_id, documentName: cmd.document_name, ...about, requestedDateTime: iso(cmd.requested_at) };
  if (type === "Command") {
    message.expiresAfter = iso(cmd.expires_after);
    message.outputS3BucketName = cmd.output_s3_bucket_name ?? "";
    message.outputS3KeyPrefix = cmd.output_s3_key_prefix ?? "";
  }
  message.status = status;
  message.eventTime = iso(now);
  await emit({ "detail-type": "Run Command Notification", account: cmd.account_id, region: cmd.region, resources: [config.NotificationArn], detail: message });
}

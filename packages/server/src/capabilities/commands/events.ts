import type { Services } from "../../runtime.js";
import { nodeArn } from "../nodes/index.js";
import type { CommandRow } from "./tables.js";

const iso = (ms: number) => new Date(ms).toISOString();

/** "EC2 Command Status-change Notification", as EventBridge delivers it for Run Command. */
export async function publishCommandStatus(services: Services, cmd: CommandRow, status: string, instanceIds: string[], now: number): Promise<void> {
  const scope = { accountId: cmd.account_id, region: cmd.region };
  await services.events.publish(
    {
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
    },
    now,
  );
}

/** "EC2 Command Invocation Status-change Notification": one node's invocation changed status. */
export async function publishInvocationStatus(services: Services, cmd: CommandRow, instanceId: string, status: string, now: number): Promise<void> {
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
}

import type { InstanceInformation } from "@aws-sdk/client-ssm";
import { compareVersions } from "@openssm/protocol";
import type { AnyDb } from "../../storage/database.js";
import { pingStatus } from "./ping.js";
import type { Scope } from "./store.js";
import { type InstanceRow, nodeDb } from "./tables.js";
import { inScope } from "../../storage/scope.js";

/**
 * The newest agent version reported by any registered node of the scope, per agent name. openssm
 * has no release feed, so IsLatestVersion means "no node of this account runs a newer version of
 * the same agent".
 */
export async function latestAgentVersions(db: AnyDb, scope: Scope): Promise<Map<string, string>> {
  const rows = await nodeDb(db)
    .selectFrom("nodes_instances")
    .select(["agent_name", "agent_version"])
    .distinct()
    .where(inScope(scope))
    .where("deregistered_at", "is", null)
    .where("agent_version", "is not", null)
    .execute();
  const latest = new Map<string, string>();
  for (const r of rows) {
    const name = r.agent_name ?? "";
    const v = r.agent_version as string;
    const cur = latest.get(name);
    if (!cur || compareVersions(v, cur) > 0) latest.set(name, v);
  }
  return latest;
}

export interface NodeInfoFields {
  AgentStatus?: string;
  AvailabilityZone?: string;
  AvailabilityZoneId?: string;
  SSMConnectionChannel?: string;
  [k: string]: unknown;
}

export const date = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : new Date(ms));

export function instanceInformation(row: InstanceRow, now: number, latest: Map<string, string>): InstanceInformation {
  const newest = latest.get(row.agent_name ?? "");
  return {
    InstanceId: row.instance_id,
    PingStatus: pingStatus(row.last_ping_at, row.deregistered_at !== null, now),
    LastPingDateTime: date(row.last_ping_at),
    AgentVersion: row.agent_version ?? undefined,
    IsLatestVersion: row.agent_version ? !newest || compareVersions(row.agent_version, newest) >= 0 : false,
    PlatformType: (row.platform_type ?? undefined) as InstanceInformation["PlatformType"],
    PlatformName: row.platform_name ?? undefined,
    PlatformVersion: row.platform_version ?? undefined,
    ActivationId: row.activation_id ?? undefined,
    IamRole: row.iam_role,
    RegistrationDate: new Date(row.registered_at),
    ResourceType: "ManagedInstance",
    Name: row.name ?? undefined,
    IPAddress: row.ip_address ?? undefined,
    ComputerName: row.computer_name ?? undefined,
    AssociationStatus: row.association_status ?? undefined,
    LastAssociationExecutionDate: date(row.last_association_at),
    LastSuccessfulAssociationExecutionDate: date(row.last_successful_association_at),
    AssociationOverview: row.association_overview ? JSON.parse(row.association_overview) : undefined,
    SourceId: row.instance_id,
    SourceType: "AWS::SSM::ManagedInstance",
  };
}

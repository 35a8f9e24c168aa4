import { provideNodeDirectory } from "../../agents/index.js";
import type { Capability, RequestContext, Services } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import { getTags } from "../tags/store.js";
import { activationOperations } from "./ops-activations.js";
import { associationOperations } from "./ops-agent-associations.js";
import { rememberAuthenticator } from "./credentials.js";
import { deregistrationOperations } from "./ops-deregistration.js";
import { instanceInformationOperations } from "./ops-instance-information.js";
import { describeInstanceProperties } from "./ops-instance-properties.js";
import { listNodesOperations } from "./ops-list-nodes.js";
import { registrationOperations } from "./ops-registration.js";
import { rsaAuthScheme } from "./rsa-auth.js";
import { deregisteredSince, findInstance, NODE_RESOURCE_TYPE, type NodeRecord, nodeArn, type Scope, toNodeRecord, touch } from "./store.js";
import { nodeDb, nodeMigrations } from "./tables.js";
import { inScope } from "../../storage/scope.js";
import { registeredNodeIds, resolveTargetIds, type TargetInput } from "./targets.js";
import { ApiError } from "../../errors.js";
import { ANY_INSTANCE_ID } from "./ids.js";
import { ONLINE_WINDOW_MS } from "./ping.js";

export type { NodeRecord } from "./store.js";
export { nodeArn, NODE_RESOURCE_TYPE } from "./store.js";
export { registeredNodeIds };
export { ONLINE_WINDOW_MS } from "./ping.js";
export { NODE_CHANNEL_ACTIONS, NODE_READ_ACTIONS, NODE_SELF_ACTIONS } from "./node-policy.js";
export { setNodeAssociationStatus } from "./association-status.js";
/** Drops this server's cached copies of a principal's keys after an IAM change (the admin API). */
export { invalidateCachedKeys } from "./credentials.js";
export {
  type AssociationExecutionResult,
  type NodeAssociation,
  type NodeAssociationSource,
  provideNodeAssociations,
} from "./ops-agent-associations.js";

function registerTaggable(services: Services): void {
  services.taggable.set(NODE_RESOURCE_TYPE, {
    async resolve(ctx, resourceId) {
      const row = ANY_INSTANCE_ID.test(resourceId) ? await findInstance(ctx.services.db, ctx, resourceId) : undefined;
      if (!row || row.deregistered_at !== null) {
        throw new ApiError("InvalidResourceId", `Managed node ${resourceId} is not registered in ${ctx.region}; check the ResourceId.`);
      }
      return { id: row.instance_id, arn: nodeArn(ctx, row.instance_id) };
    },
  });
}

/**
 * Managed nodes: hybrid activations, registration with an RSA key, the nodes' temporary credentials,
 * their reported state (DescribeInstanceInformation, ListNodes) and deregistration.
 */
export const nodesCapability: Capability = {
  name: "nodes",
  migrations: nodeMigrations,
  operations: [
    ...activationOperations,
    ...registrationOperations,
    ...deregistrationOperations,
    ...instanceInformationOperations,
    describeInstanceProperties,
    ...listNodesOperations,
    ...associationOperations,
  ],
  start(services) {
    registerTaggable(services);
    // The agent channels (a lower layer) learn of contacts and deregistrations through these.
    provideNodeDirectory(services, {
      heardFrom: (scope, instanceId, now, channel) => touch(services, scope, instanceId, now, channel),
      deregisteredSince: (since) => deregisteredSince(services.db, since),
    });
  },
  http(_app, deps) {
    rememberAuthenticator(deps.services, deps.authenticator);
    deps.authenticator.addScheme(rsaAuthScheme(deps.services.db));
  },
};

/**
 * A node as other capabilities see it (deregistered nodes too, with `deregistered: true`). Pass
 * `now` from services.clock so the ping status follows a test clock (default: the wall clock).
 */
export async function getNode(db: AnyDb, scope: Scope, instanceId: string, now: number): Promise<NodeRecord | undefined> {
  const row = await findInstance(db, scope, instanceId);
  return row ? toNodeRecord(db, row, now) : undefined;
}

/**
 * Run Command targets: InstanceIds, or Targets (InstanceIds — "*" for all —, tag:<key>, tag-key;
 * resource-groups:* answers InvalidTarget). Returns registered, not deregistered node ids the caller's
 * account owns in its region; unknown ids answer InvalidInstanceId, unknown keys InvalidTarget.
 * Authorization on each node (ssm:SendCommand on nodeArn) is the caller's to check.
 */
export function resolveTargets(ctx: RequestContext, input: TargetInput): Promise<string[]> {
  return resolveTargetIds(ctx, input);
}

/** The tags of a node (for resource-tag conditions in other capabilities' authorization). */
export function nodeTags(db: AnyDb, scope: Scope, instanceId: string): Promise<Record<string, string>> {
  return getTags(db, scope, NODE_RESOURCE_TYPE, instanceId);
}

/** What a registered node reported about itself, as Inventory's AWS:InstanceInformation shows it. */
export interface NodeFacts {
  instanceId: string;
  agentName?: string;
  agentVersion?: string;
  computerName?: string;
  ipAddress?: string;
  platformName?: string;
  platformType?: string;
  platformVersion?: string;
  name?: string;
  lastPingAt?: number;
}

/** The registered (not deregistered) nodes of an account and region, in id order; `ids` narrows them. */
export async function registeredNodeFacts(db: AnyDb, scope: Scope, ids?: string[]): Promise<NodeFacts[]> {
  if (ids && ids.length === 0) return [];
  let q = nodeDb(db)
    .selectFrom("nodes_instances")
    .select([
      "instance_id",
      "agent_name",
      "agent_version",
      "computer_name",
      "ip_address",
      "platform_name",
      "platform_type",
      "platform_version",
      "name",
      "last_ping_at",
    ])
    .where(inScope(scope))
    .where("deregistered_at", "is", null);
  if (ids) q = q.where("instance_id", "in", ids);
  const rows = await q.orderBy("instance_id").execute();
  return rows.map((r) => ({
    instanceId: r.instance_id,
    agentName: r.agent_name ?? undefined,
    agentVersion: r.agent_version ?? undefined,
    computerName: r.computer_name ?? undefined,
    ipAddress: r.ip_address ?? undefined,
    platformName: r.platform_name ?? undefined,
    platformType: r.platform_type ?? undefined,
    platformVersion: r.platform_version ?? undefined,
    name: r.name ?? undefined,
    lastPingAt: r.last_ping_at ?? undefined,
  }));
}

/** A registered node that has not been heard from within the online window (ping status ConnectionLost). */
export interface LostNode {
  scope: Scope;
  instanceId: string;
  name?: string;
  lastPingAt: number;
}

/**
 * Registered nodes of every account and region whose ping status is ConnectionLost at `now`, having
 * last been heard from after `since` (so a periodic check looks at the recently lost only), oldest first.
 */
export async function recentlyLostNodes(db: AnyDb, now: number, since: number, limit = 500): Promise<LostNode[]> {
  const rows = await nodeDb(db)
    .selectFrom("nodes_instances")
    .select(["account_id", "region", "instance_id", "name", "computer_name", "last_ping_at"])
    .where("deregistered_at", "is", null)
    .where("last_ping_at", "is not", null)
    .where("last_ping_at", "<", now - ONLINE_WINDOW_MS)
    .where("last_ping_at", ">", since)
    .orderBy("last_ping_at")
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    scope: { accountId: r.account_id, region: r.region },
    instanceId: r.instance_id,
    name: r.name ?? r.computer_name ?? undefined,
    lastPingAt: Number(r.last_ping_at),
  }));
}

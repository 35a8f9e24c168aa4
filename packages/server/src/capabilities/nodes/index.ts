import type { Principal } from "../../iam/principals.js";
import type { Capability, RequestContext, Services } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import { getTags } from "../tags/store.js";
import { activationOperations } from "./activations.js";
import { nodeIdOf as nodeIdOfPrincipal, rememberAuthenticator } from "./credentials.js";
import { deregistrationOperations } from "./deregistration.js";
import { instanceInformationOperations } from "./instance-information.js";
import { describeInstanceProperties } from "./instance-properties.js";
import { listNodesOperations } from "./list-nodes.js";
import { registrationOperations } from "./registration.js";
import { rsaAuthScheme } from "./rsa-auth.js";
import { addDeregistrationListener, findInstance, NODE_RESOURCE_TYPE, type NodeRecord, nodeArn, type Scope, toNodeRecord, touch } from "./store.js";
import { nodeMigrations } from "./tables.js";
import { resolveTargetIds, type TargetInput } from "./targets.js";
import { ApiError } from "../../http/errors.js";
import { ANY_INSTANCE_ID } from "./ids.js";

export type { NodeRecord } from "./store.js";
export { nodeArn, NODE_RESOURCE_TYPE } from "./store.js";
export { ONLINE_WINDOW_MS } from "./ping.js";
export { NODE_CHANNEL_ACTIONS, NODE_READ_ACTIONS, NODE_SELF_ACTIONS } from "./node-policy.js";
export { setNodeAssociationStatus } from "./association-status.js";

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
  ],
  start(services) {
    registerTaggable(services);
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
export async function getNode(db: AnyDb, scope: Scope, instanceId: string, now: number = Date.now()): Promise<NodeRecord | undefined> {
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

/** The instance id when the caller is a node (its temporary credentials or its RSA key), else undefined. */
export function nodeIdOf(principal: Principal): string | undefined {
  return nodeIdOfPrincipal(principal);
}

/** Marks contact with a node (it polled ec2messages or holds an MGS control channel); `now` from services.clock. */
export function touchNode(db: AnyDb, scope: Scope, instanceId: string, now: number, channel?: "ssmmessages" | "ec2messages"): Promise<void> {
  return touch(db, scope, instanceId, now, channel);
}

/** Of these nodes, the ones deregistered (another replica's DeregisterManagedInstance included). */
export { deregisteredAmong as deregisteredNodes } from "./store.js";

/** Called (in this process) right after a node is deregistered, so agent channels can close. Returns an unsubscribe function. */
export function onNodeDeregistered(listener: (scope: Scope, instanceId: string) => void): () => void {
  return addDeregistrationListener(listener);
}

/** The tags of a node (for resource-tag conditions in other capabilities' authorization). */
export function nodeTags(db: AnyDb, scope: Scope, instanceId: string): Promise<Record<string, string>> {
  return getTags(db, scope, NODE_RESOURCE_TYPE, instanceId);
}

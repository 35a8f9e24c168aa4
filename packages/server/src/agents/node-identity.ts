import type { Principal } from "../iam/principals.js";
import type { Scope, ServerSlot, Services } from "../runtime.js";

/**
 * Managed-node identity as the agent protocols need it. The nodes capability, which owns the nodes'
 * records, sits above this layer: it hands its lookups down at start (`provideNodeDirectory`) and
 * announces deregistrations here (`announceNodeDeregistered`), so the arrows run one way.
 */

/** A managed node's id, as AWS's: `mi-` + 17 lower-case hex digits. */
export const INSTANCE_ID = /^mi-[0-9a-f]{17}$/;

/** `arn:aws:ssm:<region>:<account>:managed-instance/<id>`: what a node's own actions are authorized on. */
export const nodeArn = (scope: Scope, instanceId: string) => `arn:aws:ssm:${scope.region}:${scope.accountId}:managed-instance/${instanceId}`;

/** The instance id when the principal is a managed node (its credentials or its RSA key), else undefined. */
export function nodeIdOf(principal: Principal): string | undefined {
  if (principal.kind !== "node") return undefined;
  const id = principal.arn.slice(principal.arn.lastIndexOf("/") + 1);
  return INSTANCE_ID.test(id) ? id : undefined;
}

/** What the agent channels learn from the nodes capability. */
export interface NodeDirectory {
  /** Records contact with the node (its ping status and the channel it uses). Cheap when called often. */
  heardFrom(scope: Scope, instanceId: string, now: number, channel: "ssmmessages" | "ec2messages"): Promise<void>;
  /** The nodes deregistered (through this replica or another) at or after `since` (the server clock's milliseconds). */
  deregisteredSince(since: number): Promise<string[]>;
}

export type DeregistrationListener = (scope: Scope, instanceId: string) => void;

/** Without the nodes capability (a server built with a subset of capabilities) no node is known. */
const NO_NODES: NodeDirectory = {
  heardFrom: async () => {},
  deregisteredSince: async () => [],
};

class NodeHooks {
  directory: NodeDirectory = NO_NODES;
  readonly listeners = new Set<DeregistrationListener>();
}

const NODE_HOOKS: ServerSlot<NodeHooks> = { name: "agents.node-hooks", create: () => new NodeHooks() };

export function provideNodeDirectory(services: Services, directory: NodeDirectory): void {
  services.own(NODE_HOOKS).directory = directory;
}

export function nodeDirectory(services: Services): NodeDirectory {
  return services.own(NODE_HOOKS).directory;
}

/** Called in this server right after a node is deregistered here. Returns an unsubscribe function. */
export function onNodeDeregistered(services: Services, listener: DeregistrationListener): () => void {
  const { listeners } = services.own(NODE_HOOKS);
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The nodes capability deregistered a node: its channels and polls end, and every listener hears of it. */
export function announceNodeDeregistered(services: Services, scope: Scope, instanceId: string): void {
  for (const listener of services.own(NODE_HOOKS).listeners) {
    try {
      listener(scope, instanceId);
    } catch (err) {
      services.log.warn({ err, instanceId }, "a node deregistration listener failed");
    }
  }
}

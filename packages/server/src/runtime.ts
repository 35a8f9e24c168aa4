import type { Migration } from "kysely";
import type { Logger } from "pino";
import type { ServerConfig } from "./config.js";
import type { AuditLog } from "./events/audit.js";
import type { EventBus } from "./events/bus.js";
import type { Principal } from "./iam/principals.js";
import type { PolicyDocument } from "./iam/policy.js";
import type { Clock } from "./scheduler/clock.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import type { AnyDb, Engine } from "./storage/database.js";

/** What the whole server shares: wired once in main.ts and handed to every capability. */
export interface Services {
  config: ServerConfig;
  engine: Engine;
  db: AnyDb;
  masterKey: Buffer;
  /** Resolves when every write committed so far is on disk (SQLite group commit; PostgreSQL: at once). */
  durable(): Promise<void>;
  /** Changes whenever a write commits: compare before and after work to know whether to await durable(). */
  commitMark(): number;
  clock: Clock;
  log: Logger;
  events: EventBus;
  audit: AuditLog;
  scheduler: Scheduler;
  /** Id of the account the bootstrap admin belongs to. */
  defaultAccountId: string;
  /** Registry of resource types that own tags (AddTagsToResource and friends dispatch here). */
  taggable: Map<string, TaggableResourceType>;
  /** The ports clients reach, filled in as the listeners start (URLs the API hands out point there). */
  listening: { port?: number; tlsPort?: number };
}

/** A resource kind that accepts tags through AddTagsToResource / ListTagsForResource / RemoveTagsFromResource. */
export interface TaggableResourceType {
  /** Resolves the caller's ResourceId to the stored id and ARN, or throws InvalidResourceId. */
  resolve(ctx: RequestContext, resourceId: string): Promise<{ id: string; arn: string }>;
  /** The most tags the resource may carry (AWS: 50). */
  maxTags?: number;
  /** Called after tags change, for capabilities that publish events or cache tags. */
  onChange?(ctx: RequestContext, id: string): Promise<void>;
}

/** One resource an operation acts on, for authorization. Tags are loaded only when a policy asks. */
export interface ResourceRef {
  arn: string;
  tags?: () => Promise<Record<string, string>>;
}

export interface RequestContext {
  services: Services;
  requestId: string;
  operation: string;
  accountId: string;
  region: string;
  principal: Principal;
  policies: PolicyDocument[];
  sourceIp: string;
  /** The access key that signed the request */
  accessKeyId: string;
  /** Whether the request came over TLS (aws:SecureTransport) */
  secure: boolean;
  now(): Date;
  /** Throws AccessDeniedException unless the principal may perform `action` on every resource. */
  authorize(action: string, resources: ResourceRef[]): Promise<void>;
  /** Whether the principal may perform `action` on the resource (for filtering lists). */
  isAllowed(action: string, resource: ResourceRef): Promise<boolean>;
  arn(service: string, resource: string): string;
}

export interface OperationDef<I = Record<string, unknown>, O = unknown> {
  /** ssm → X-Amz-Target AmazonSSM.*, kms → TrentService.*, ec2messages → EC2WindowsMessageDeliveryService.* */
  service: "ssm" | "kms" | "ec2messages";
  name: string;
  /**
   * No SigV4 and no policy check (RegisterManagedInstance with an activation code). The handler
   * sees `ctx.principal.kind === "anonymous"`, `ctx.accountId === ""`, and must check the caller itself.
   */
  anonymous?: boolean;
  /** The resources the call touches. Default: "*". The action is `<service>:<name>`. */
  resources?(ctx: RequestContext, input: I): ResourceRef[] | Promise<ResourceRef[]>;
  handle(ctx: RequestContext, input: I): Promise<O>;
}

export interface Capability {
  name: string;
  migrations?(engine: Engine): Record<string, Migration>;
  operations?: OperationDef<any, any>[];
  /** Adds HTTP routes (agent channels, downloads) to the server. Called before it listens. */
  http?(app: import("fastify").FastifyInstance, server: HttpDeps): void | Promise<void>;
  /** Called once after migrations (register taggable types, schedulers, event subscribers). */
  start?(services: Services): void | Promise<void>;
  stop?(): void | Promise<void>;
}

/** What a capability's HTTP routes may use besides Services. */
export interface HttpDeps {
  services: Services;
  authenticator: import("./iam/authenticate.js").Authenticator;
  dispatcher: import("./http/dispatch.js").Dispatcher;
}

/** Helper so capability files get typed inputs from @aws-sdk/client-ssm's request types. */
export function op<I, O>(def: OperationDef<I, O>): OperationDef<I, O> {
  return def;
}

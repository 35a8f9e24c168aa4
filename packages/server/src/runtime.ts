import type { OffThread } from "./http/body-threads.js";
import type { Migration } from "kysely";
import type { Logger } from "pino";
import type { ServerConfig } from "./config.js";
import type { AuditLog } from "./events/audit.js";
import type { EventBus } from "./events/bus.js";
import type { EventInput } from "./events/bus.js";
import type { Authenticator } from "./iam/authenticate.js";
import type { ResourceRef } from "./iam/authorize.js";
import type { Principal, ResolvedKey } from "./iam/principals.js";
import type { ContextValues, Decision, PolicyDocument } from "./iam/policy.js";
import type { Clock } from "./scheduler/clock.js";
import type { Scheduler } from "./scheduler/scheduler.js";
import type { AnyDb, Engine } from "./storage/database.js";
import type { Scope } from "./storage/scope.js";

/** What the whole server shares: wired once in main.ts and handed to every capability. */
export interface Services {
  config: ServerConfig;
  engine: Engine;
  db: AnyDb;
  masterKey: Buffer;
  /**
   * Resolves when every write made so far is committed and on disk (SQLite: commits the open write batch,
   * then group commit; PostgreSQL: at once). Rejects when writes made after `since` (a `commitMark()`) were lost.
   */
  durable(since?: number): Promise<void>;
  /** Changes whenever a write is made: compare before and after work to know whether to await durable(). */
  commitMark(): number;
  clock: Clock;
  log: Logger;
  events: EventBus;
  /** Runs `work` in one transaction; events it publishes reach subscribers only once it committed. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  audit: AuditLog;
  scheduler: Scheduler;
  /** Id of the account the bootstrap admin belongs to. */
  defaultAccountId: string;
  /** Registry of resource types that own tags (AddTagsToResource and friends dispatch here). */
  taggable: Map<string, TaggableResourceType>;
  /** The ports clients reach, filled in as the listeners start (URLs the API hands out point there). */
  listening: { port?: number; tlsPort?: number };
  /**
   * This server's own instance of a piece of in-memory state (a delivery hub, a handler registry, a
   * cache), created on first use. Two servers in one process never share one; it goes with the server.
   */
  own<T>(slot: ServerSlot<T>): T;
  /**
   * Runs an API operation in-process for a principal, as a signed request would run (automation's
   * API calls). main.ts sets it once the dispatcher exists; elsewhere (API workers) it refuses.
   */
  api: InternalApi;
}

/** Calls the server's own API operations without HTTP: model validation, authorization, handler, audit. */
export interface InternalApi {
  /** The result as the wire carries it (timestamps in epoch seconds); throws the operation's ApiError. */
  invoke(call: InternalCall): Promise<Record<string, unknown>>;
}

/** One in-process call: the operation, its input, and who makes it. */
export interface InternalCall {
  service: "ssm" | "kms";
  /** The operation's name in the model (GetParameter). */
  operation: string;
  input: Record<string, unknown>;
  principal: Principal;
  /** The policies that decide what the caller may do. */
  policies: PolicyDocument[];
  region: string;
  /** Where the call comes from, recorded as the audit record's source (automation:<execution id>). */
  source: string;
  /** How the audit record names the caller when not by the principal's ARN (an assumed role's session). */
  auditArn?: string;
}

/** A piece of in-memory state each server holds one of, declared once by the module that owns it (see `Services.own`). */
export interface ServerSlot<T> {
  readonly name: string;
  create(services: Services): T;
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
export type { ResourceRef } from "./iam/authorize.js";

export type { Scope } from "./storage/scope.js";

/** Work done in one database transaction (`ctx.transaction`): all of it commits, or none of it. */
export interface Tx {
  /** The transaction: every query of the unit of work goes through it (on SQLite, `services.db` would wait for it). */
  db: AnyDb;
  /** Records the event in the same transaction; subscribers and webhooks get it after the commit. */
  publish(event: EventInput): void;
}

export interface RequestContext extends Scope {
  services: Services;
  requestId: string;
  operation: string;
  principal: Principal;
  policies: PolicyDocument[];
  sourceIp: string;
  /** The access key that signed the request */
  accessKeyId: string;
  /** Whether the request came over TLS (aws:SecureTransport) */
  secure: boolean;
  now(): Date;
  /** The request's account and region, for store functions keyed by both. */
  scope: Scope;
  /** Throws AccessDeniedException unless the principal may perform `action` on every resource. */
  authorize(action: string, resources: ResourceRef[], extra?: ContextValues): Promise<void>;
  /** Whether the principal may perform `action` on the resource (for filtering lists). */
  isAllowed(action: string, resource: ResourceRef): Promise<boolean>;
  /**
   * The policy decision for one resource, telling an explicit deny from an implicit one (a caller
   * allowed on a whole path still must not see an item denied to them). `extra`: request condition keys.
   */
  decide(action: string, resource: ResourceRef, extra?: ContextValues): Promise<Decision>;
  /** How many authorization checks this request has made (the dispatcher refuses a call that made none). */
  readonly checks: number;
  /** Runs `work` in one transaction; events it publishes reach subscribers only once it committed. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T>;
  arn(service: string, resource: string): string;
}

/**
 * What `resources()` found: the resources to authorize, the request's own condition keys, and what
 * it looked up on the way (a stored row, a resolved document), which `handle()` receives.
 */
export interface Access<P> {
  resources: ResourceRef[];
  /** Request condition keys of this operation (ssm:Overwrite, aws:RequestTag/..., aws:TagKeys). */
  context?: ContextValues;
  prepared: P;
}

/**
 * One API operation. Authorization fails closed: each operation declares exactly one of
 * - `resources(ctx, input)`: what it acts on; the dispatcher checks `<service>:<name>` on each
 *   before `handle` (an empty list is refused: an operation that authorizes nothing never runs);
 *   operations without resource-level permissions return `ANY_RESOURCE` ("*");
 * - `listing: true`: it shows each caller only what its policies allow, deciding item by item with
 *   `ctx.decide` / `ctx.isAllowed` / `ctx.authorize` in `handle`; a call whose handler made no check fails;
 * - `anonymous: true`: no SigV4 and no policy (RegisterManagedInstance); the handler checks its caller.
 * The dispatcher refuses to register an operation that declares none.
 */
export interface OperationDef<I = Record<string, unknown>, O = unknown, P = undefined> {
  /** ssm → X-Amz-Target AmazonSSM.*, kms → TrentService.*, ec2messages → EC2WindowsMessageDeliveryService.*, openssm → OpenSSM.* (the admin API) */
  service: "ssm" | "kms" | "ec2messages" | "openssm";
  name: string;
  /** The IAM action the dispatcher authorizes when it is not `<service>:<name>` (the admin API's `iam:CreateUser`). */
  action?: string;
  /** The handler sees `ctx.principal.kind === "anonymous"`, `ctx.accountId === ""`, and must check the caller itself. */
  anonymous?: boolean;
  /** A listing that authorizes item by item in `handle`. */
  listing?: boolean;
  /** The resources the call acts on; the action is `<service>:<name>`. */
  resources?(ctx: RequestContext, input: I): ResourceRef[] | Access<P> | Promise<ResourceRef[] | Access<P>>;
  /**
   * Needs nothing but storage and changes nothing (no writes, events, node channels or relays):
   * API worker processes may answer it themselves.
   */
  readOnly?: boolean;
  /**
   * Large bodies are parsed, validated and passed through this preparation on a body thread
   * (http/body-threads.ts); `handle` then receives what it returned. It must give the same input
   * `handle` would make of the body itself.
   */
  offThread?: OffThread;
  handle(ctx: RequestContext, input: I, prepared: P): Promise<O>;
}

/** For operations without resource-level permissions: the action is checked on "*". */
export const ANY_RESOURCE = (): ResourceRef[] => [{ arn: "*" }];

export interface Capability {
  name: string;
  migrations?(engine: Engine): Record<string, Migration>;
  operations?: OperationDef<any, any, any>[];
  /** Adds HTTP routes (agent channels, downloads) to the server. Called before it listens. */
  http?(app: import("fastify").FastifyInstance, server: HttpDeps): void | Promise<void>;
  /** Called once after migrations (register taggable types, schedulers, event subscribers). */
  start?(services: Services): void | Promise<void>;
  /** Called once when this server stops: end what `start` began for this server (and only this one). */
  stop?(services: Services): void | Promise<void>;
}

/** Builds the request context of a call that arrives outside the JSON API (agent channels, downloads). */
export type ContextFactory = (requestId: string, operation: string, key: ResolvedKey, region: string, req: ContextRequest) => RequestContext;

/** The facts of a request a context is built from. */
export interface ContextRequest {
  sourceIp: string;
  secure: boolean;
}

/** What a capability's HTTP routes may use besides Services. */
export interface HttpDeps {
  services: Services;
  authenticator: Authenticator;
  context: ContextFactory;
}

/** Helper so capability files get typed inputs from @aws-sdk/client-ssm's request types. */
export function op<I, O, P = undefined>(def: OperationDef<I, O, P>): OperationDef<I, O, P> {
  return def;
}

import type { ContextValues, Decision } from "../iam/policy.js";
import { authorizeAll, decide, type RequestFacts, requestContext } from "../iam/authorize.js";
import type { ResolvedKey } from "../iam/principals.js";
import type { ContextRequest, RequestContext, ResourceRef, Services, Tx } from "../runtime.js";

/**
 * Builds the context handed to a handler: who calls, in which account and region, the authorization
 * checks (counted, so the dispatcher can refuse a call that checked nothing) and the unit of work.
 */
export function createRequestContext(
  services: Services,
  requestId: string,
  operation: string,
  key: ResolvedKey,
  region: string,
  req: ContextRequest,
): RequestContext {
  return new CallContext(services, requestId, operation, key, region, req);
}

/** One call's context (a class: its methods are made once, not per request). */
class CallContext implements RequestContext {
  readonly accountId: string;
  readonly scope: RequestContext["scope"];
  readonly principal: RequestContext["principal"];
  readonly policies: RequestContext["policies"];
  readonly sourceIp: string;
  readonly accessKeyId: string;
  readonly secure: boolean;
  private readonly facts: RequestFacts;
  private count = 0;
  private base: ReturnType<typeof requestContext> | undefined;

  constructor(
    readonly services: Services,
    readonly requestId: string,
    readonly operation: string,
    key: ResolvedKey,
    readonly region: string,
    req: ContextRequest,
  ) {
    this.accountId = key.principal.accountId;
    this.scope = { accountId: this.accountId, region };
    this.principal = key.principal;
    this.policies = key.policies;
    this.sourceIp = req.sourceIp;
    this.accessKeyId = key.accessKeyId;
    this.secure = req.secure;
    this.facts = { principal: key.principal, policies: key.policies, sourceIp: req.sourceIp, secure: req.secure, region, now: services.clock.now() };
  }

  get checks(): number {
    return this.count;
  }

  now(): Date {
    return new Date(this.services.clock.now());
  }

  private baseContext(): ReturnType<typeof requestContext> {
    this.base ??= requestContext(this.facts);
    return this.base;
  }

  authorize(action: string, resources: ResourceRef[], extra?: ContextValues): Promise<void> {
    if (resources.length > 0) this.count++;
    return authorizeAll(this.facts, action, resources, extra);
  }

  async isAllowed(action: string, resource: ResourceRef): Promise<boolean> {
    this.count++;
    return (await decide(this.facts, action, resource, this.baseContext())) === "Allow";
  }

  decide(action: string, resource: ResourceRef, extra?: ContextValues): Promise<Decision> {
    this.count++;
    return decide(this.facts, action, resource, extra ? { ...this.baseContext(), ...extra } : this.baseContext());
  }

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.services.transaction(work);
  }

  arn(service: string, resource: string): string {
    return `arn:aws:${service}:${this.region}:${this.accountId}:${resource}`;
  }
}

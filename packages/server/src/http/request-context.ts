import { authorizeAll, decide, type RequestFacts, requestContext } from "../iam/authorize.js";
import type { ResolvedKey } from "../iam/principals.js";
import type { ContextRequest, RequestContext, Services } from "../runtime.js";

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
  const facts: RequestFacts = {
    principal: key.principal,
    policies: key.policies,
    sourceIp: req.sourceIp,
    secure: req.secure,
    region,
    now: services.clock.now(),
  };
  const accountId = key.principal.accountId;
  let checks = 0;
  let base: ReturnType<typeof requestContext> | undefined;
  const baseContext = () => (base ??= requestContext(facts));
  return {
    services,
    requestId,
    operation,
    accountId,
    region,
    scope: { accountId, region },
    principal: key.principal,
    policies: key.policies,
    sourceIp: req.sourceIp,
    accessKeyId: key.accessKeyId,
    secure: req.secure,
    now: () => new Date(services.clock.now()),
    get checks() {
      return checks;
    },
    authorize: (action, resources, extra) => {
      if (resources.length > 0) checks++;
      return authorizeAll(facts, action, resources, extra);
    },
    isAllowed: async (action, resource) => {
      checks++;
      return (await decide(facts, action, resource, baseContext())) === "Allow";
    },
    decide: (action, resource, extra) => {
      checks++;
      return decide(facts, action, resource, extra ? { ...baseContext(), ...extra } : baseContext());
    },
    transaction: (work) => services.transaction(work),
    arn: (service, resource) => `arn:aws:${service}:${region}:${accountId}:${resource}`,
  };
}

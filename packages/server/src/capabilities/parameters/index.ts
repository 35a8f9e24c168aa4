import { ApiError } from "../../errors.js";
import type { Capability, RequestContext } from "../../runtime.js";
import { PARAMETER_RESOURCE_TYPE, reference } from "./lookup.js";
import { labelParameterVersion, unlabelParameterVersion } from "./ops-labels.js";
import { describeParameters, getParametersByPath } from "./ops-list.js";
import { getParameter, getParameterHistory, getParameters } from "./ops-read.js";
import { deleteParameter, deleteParameters, putParameter } from "./ops-write.js";
import { parameterPolicyJob } from "./policy-job.js";
import { getHead, pdb } from "./store.js";
import { parameterMigrations } from "./tables.js";
import { parameterArn } from "./values.js";

export { readParameter } from "./ops-read.js";

/** Resolves AddTagsToResource's ResourceId (a parameter name or ARN) for ResourceType Parameter. */
async function resolveTagTarget(ctx: RequestContext, resourceId: string): Promise<{ id: string; arn: string }> {
  const ref = reference(ctx, resourceId);
  const head = ref.selector || ref.elsewhere ? undefined : await getHead(pdb(ctx.services.db), ctx, ref.key);
  if (!head) throw new ApiError("InvalidResourceId", `The parameter ${resourceId} does not exist in this account and Region. Verify the name and try again.`);
  return { id: head.name_key, arn: parameterArn(ctx, head.name_key) };
}

/** Parameter Store: hierarchical, versioned, labelled parameters; SecureString values encrypted through KMS. */
export const parametersCapability: Capability = {
  name: "parameters",
  migrations: parameterMigrations,
  operations: [
    putParameter,
    getParameter,
    getParameters,
    getParametersByPath,
    describeParameters,
    getParameterHistory,
    deleteParameter,
    deleteParameters,
    labelParameterVersion,
    unlabelParameterVersion,
  ],
  start(services) {
    services.taggable.set(PARAMETER_RESOURCE_TYPE, { resolve: resolveTagTarget });
    services.scheduler.register(parameterPolicyJob(services));
  },
};

/** What sharing a parameter through a resource policy depends on (PutResourcePolicy): its tier, type and key. */
export interface ParameterSharingFacts {
  name: string;
  arn: string;
  tier: string;
  type: string;
  keyId: string | null;
}

/** The parameter an ARN names in the caller's account and region, or undefined when there is none. */
export async function parameterSharingFacts(ctx: RequestContext, arn: string): Promise<ParameterSharingFacts | undefined> {
  const ref = reference(ctx, arn);
  if (ref.selector || ref.elsewhere) return undefined;
  const head = await getHead(pdb(ctx.services.db), ctx, ref.key);
  if (!head) return undefined;
  return { name: head.name, arn: parameterArn(ctx, head.name_key), tier: head.tier, type: head.type, keyId: head.key_id };
}

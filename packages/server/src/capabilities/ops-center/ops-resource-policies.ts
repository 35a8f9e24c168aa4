import type {
  DeleteResourcePolicyRequest,
  DeleteResourcePolicyResponse,
  GetResourcePoliciesRequest,
  GetResourcePoliciesResponse,
  PutResourcePolicyRequest,
  PutResourcePolicyResponse,
} from "@aws-sdk/client-ssm";
import { createHash, randomBytes } from "node:crypto";
import { ApiError } from "../../errors.js";
import { pageRequest } from "../../http/paging.js";
import { op, type RequestContext } from "../../runtime.js";
import { inScope } from "../../storage/scope.js";
import { parameterSharingFacts } from "../parameters/index.js";
import { type PolicyTarget, resourcePolicyProblem } from "./resource-policy-check.js";
import { opsDb, type ResourcePolicyRow } from "./tables.js";

/** AWS's limits: one policy on an OpsItemGroup (openssm: on any resource), of at most 1024 bytes. */
export const MAX_POLICIES_PER_RESOURCE = 1;
export const MAX_POLICY_BYTES = 1024;
/** The one OpsItemGroup of an account and region. */
export const OPS_ITEM_GROUP = "default";

export const opsItemGroupArn = (ctx: { region: string; accountId: string }) => `arn:aws:ssm:${ctx.region}:${ctx.accountId}:opsitemgroup/${OPS_ITEM_GROUP}`;

const invalid = (names: string[], message: string) => new ApiError("ResourcePolicyInvalidParameterException", message, 400, { ParameterNames: names });

/** The resource a ResourceArn names, checked: it exists here and may carry a policy. */
interface PolicyResource {
  arn: string;
  target: PolicyTarget;
}

async function policyResource(ctx: RequestContext, arn: string): Promise<PolicyResource> {
  const m = /^arn:aws[a-z-]*:ssm:([a-z0-9-]*):(\d{12}):(opsitemgroup|parameter)\/(.+)$/.exec(arn);
  if (!m) {
    throw invalid(
      ["ResourceArn"],
      `${arn} names no resource that takes a resource policy; give an OpsItemGroup (arn:aws:ssm:${ctx.region}:${ctx.accountId}:opsitemgroup/default) or a parameter ARN.`,
    );
  }
  const missing = () =>
    new ApiError("ResourceNotFoundException", `${arn} does not exist in account ${ctx.accountId}, region ${ctx.region}; check the ResourceArn.`);
  if (m[1] !== ctx.region || m[2] !== ctx.accountId) throw missing();
  if (m[3] === "opsitemgroup") {
    if (m[4] !== OPS_ITEM_GROUP) throw missing();
    return { arn: opsItemGroupArn(ctx), target: "OpsItemGroup" };
  }
  const p = await parameterSharingFacts(ctx, arn);
  if (!p) throw missing();
  return { arn: p.arn, target: "Parameter" };
}

/** What sharing a parameter requires beyond a well-formed policy (AWS: advanced tier; SecureString under a customer managed key). */
async function checkShareable(ctx: RequestContext, arn: string): Promise<void> {
  const p = await parameterSharingFacts(ctx, arn);
  if (!p) return;
  if (p.tier !== "Advanced") {
    throw invalid(
      ["ResourceArn"],
      `Parameter ${p.name} is in the ${p.tier} tier; only advanced parameters can be shared. Change it to Advanced (put-parameter --tier Advanced --overwrite) first.`,
    );
  }
  if (p.type === "SecureString" && (p.keyId === null || p.keyId === "alias/aws/ssm" || p.keyId.endsWith(":alias/aws/ssm"))) {
    throw invalid(
      ["ResourceArn"],
      `Parameter ${p.name} is encrypted with the AWS managed key alias/aws/ssm, which cannot be shared; put it again with a customer managed key (--key-id) first.`,
    );
  }
}

const policyHash = (policy: string) => createHash("sha256").update(policy).digest("hex");
const newPolicyId = () => randomBytes(16).toString("hex");

function policiesOf(ctx: RequestContext, arn: string) {
  return opsDb(ctx.services.db).selectFrom("ops_resource_policies").selectAll().where(inScope(ctx.scope)).where("resource_arn", "=", arn);
}

/** The stored policy a PolicyId names on the resource, checked against the hash the caller read. */
function currentPolicy(rows: ResourcePolicyRow[], arn: string, policyId: string, hash: string | undefined): ResourcePolicyRow {
  const row = rows.find((r) => r.policy_id === policyId);
  if (!row) {
    throw new ApiError("ResourcePolicyNotFoundException", `${arn} has no policy ${policyId}; GetResourcePolicies lists its policies and their ids.`);
  }
  if (hash !== row.policy_hash) {
    throw new ApiError(
      "ResourcePolicyConflictException",
      `The PolicyHash ${hash ?? "(none)"} is not the current hash of policy ${policyId}: it changed since you read it. GetResourcePolicies shows the current policy and hash.`,
    );
  }
  return row;
}

export const putResourcePolicy = op<PutResourcePolicyRequest, PutResourcePolicyResponse, PolicyResource>({
  service: "ssm",
  name: "PutResourcePolicy",
  async resources(ctx, input) {
    const r = await policyResource(ctx, String(input.ResourceArn));
    return { resources: [{ arn: r.arn }], prepared: r };
  },
  async handle(ctx, input, resource) {
    const policy = String(input.Policy);
    const size = Buffer.byteLength(policy);
    if (size > MAX_POLICY_BYTES) {
      throw new ApiError(
        "ResourcePolicyLimitExceededException",
        `The policy is ${size} bytes; a resource policy holds at most ${MAX_POLICY_BYTES} bytes. Shorten it.`,
        400,
        { Limit: MAX_POLICY_BYTES, LimitType: "PolicySize" },
      );
    }
    if (input.PolicyHash !== undefined && input.PolicyId === undefined) {
      throw invalid(["PolicyId"], "PolicyHash updates a policy: give its PolicyId too, or leave both out to add a new policy.");
    }
    const problem = resourcePolicyProblem(policy, resource.target, resource.arn, `arn:aws:ssm:${ctx.region}:${ctx.accountId}:opsitem/`);
    if (problem) throw new ApiError("MalformedResourcePolicyDocumentException", `The resource policy is malformed: ${problem}.`);
    if (resource.target === "Parameter") await checkShareable(ctx, resource.arn);
    const now = ctx.now().getTime();
    const hash = policyHash(policy);
    const id = await ctx.transaction(async (tx) => {
      const d = opsDb(tx.db);
      const rows = await d.selectFrom("ops_resource_policies").selectAll().where(inScope(ctx.scope)).where("resource_arn", "=", resource.arn).execute();
      if (input.PolicyId !== undefined) {
        const row = currentPolicy(rows, resource.arn, input.PolicyId, input.PolicyHash);
        // Compare-and-set on the hash: of two writers who read the same hash, one wins and one is told.
        const res = await d
          .updateTable("ops_resource_policies")
          .set({ policy, policy_hash: hash, modified_at: now })
          .where(inScope(ctx.scope))
          .where("policy_id", "=", row.policy_id)
          .where("policy_hash", "=", row.policy_hash)
          .executeTakeFirst();
        if (Number(res.numUpdatedRows) !== 1) {
          throw new ApiError("ResourcePolicyConflictException", `Policy ${row.policy_id} changed while this update ran; read it again and retry.`);
        }
        return row.policy_id;
      }
      if (rows.length >= MAX_POLICIES_PER_RESOURCE) {
        throw new ApiError(
          "ResourcePolicyLimitExceededException",
          `${resource.arn} already has a policy (${rows[0].policy_id}); a resource takes ${MAX_POLICIES_PER_RESOURCE}. Update it with its PolicyId and PolicyHash instead.`,
          400,
          { Limit: MAX_POLICIES_PER_RESOURCE, LimitType: "PolicyCount" },
        );
      }
      const policyId = newPolicyId();
      await d
        .insertInto("ops_resource_policies")
        .values({
          account_id: ctx.accountId,
          region: ctx.region,
          resource_arn: resource.arn,
          policy_id: policyId,
          policy_hash: hash,
          policy,
          created_at: now,
          modified_at: now,
        })
        .execute();
      return policyId;
    });
    return { PolicyId: id, PolicyHash: hash };
  },
});

export const getResourcePolicies = op<GetResourcePoliciesRequest, GetResourcePoliciesResponse, PolicyResource>({
  service: "ssm",
  name: "GetResourcePolicies",
  readOnly: true,
  async resources(ctx, input) {
    const r = await policyResource(ctx, String(input.ResourceArn));
    return { resources: [{ arn: r.arn }], prepared: r };
  },
  async handle(ctx, input, resource) {
    const page = pageRequest(ctx, input, { query: resource.arn, defaultSize: 50 });
    let q = policiesOf(ctx, resource.arn);
    if (page.after !== undefined) q = q.where("policy_id", ">", page.after);
    const rows = await q
      .orderBy("policy_id")
      .limit(page.size + 1)
      .execute();
    const { items, nextToken } = page.finish(rows, (r) => r.policy_id);
    return { Policies: items.map((r) => ({ PolicyId: r.policy_id, PolicyHash: r.policy_hash, Policy: r.policy })), NextToken: nextToken };
  },
});

export const deleteResourcePolicy = op<DeleteResourcePolicyRequest, DeleteResourcePolicyResponse, PolicyResource>({
  service: "ssm",
  name: "DeleteResourcePolicy",
  async resources(ctx, input) {
    const r = await policyResource(ctx, String(input.ResourceArn));
    return { resources: [{ arn: r.arn }], prepared: r };
  },
  async handle(ctx, input, resource) {
    await ctx.transaction(async (tx) => {
      const d = opsDb(tx.db);
      const rows = await d.selectFrom("ops_resource_policies").selectAll().where(inScope(ctx.scope)).where("resource_arn", "=", resource.arn).execute();
      const row = currentPolicy(rows, resource.arn, String(input.PolicyId), input.PolicyHash);
      const res = await d
        .deleteFrom("ops_resource_policies")
        .where(inScope(ctx.scope))
        .where("policy_id", "=", row.policy_id)
        .where("policy_hash", "=", row.policy_hash)
        .executeTakeFirst();
      if (Number(res.numDeletedRows) !== 1) {
        throw new ApiError("ResourcePolicyConflictException", `Policy ${row.policy_id} changed while this delete ran; read it again and retry.`);
      }
    });
    return {};
  },
});

/** The policies on an account's OpsItemGroup (for the cross-account OpsItem calls they allow). */
export async function opsItemGroupPolicies(ctx: RequestContext, scope: { accountId: string; region: string }): Promise<string[]> {
  const rows = await opsDb(ctx.services.db)
    .selectFrom("ops_resource_policies")
    .select("policy")
    .where(inScope(scope))
    .where("resource_arn", "=", opsItemGroupArn(scope))
    .execute();
  return rows.map((r) => r.policy);
}

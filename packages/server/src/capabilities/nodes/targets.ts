import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { findByTag } from "../tags/store.js";
import { ANY_INSTANCE_ID } from "./ids.js";
import { NODE_RESOURCE_TYPE } from "./store.js";
import { nodeDb } from "./tables.js";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";

export interface TargetInput {
  InstanceIds?: string[];
  Targets?: { Key?: string; Values?: string[] }[];
}

/** Registered, not deregistered nodes of an account and region, in id order; all of them with "*". */
export async function registeredNodeIds(db: AnyDb, scope: Scope, ids: string[] | "*"): Promise<string[]> {
  let q = nodeDb(db).selectFrom("nodes_instances").select("instance_id").where(inScope(scope)).where("deregistered_at", "is", null);
  if (ids !== "*") {
    if (ids.length === 0) return [];
    q = q.where("instance_id", "in", ids);
  }
  return (await q.orderBy("instance_id").execute()).map((r) => r.instance_id);
}

async function explicitIds(ctx: RequestContext, ids: string[]): Promise<string[]> {
  for (const id of ids) {
    if (!ANY_INSTANCE_ID.test(id)) throw new ApiError("InvalidInstanceId", `${id} is not a managed node id (mi- followed by 17 hex digits).`);
  }
  const found = await registeredNodeIds(ctx.services.db, ctx, [...new Set(ids)]);
  const have = new Set(found);
  const missing = ids.filter((id) => !have.has(id));
  if (missing.length) {
    throw new ApiError(
      "InvalidInstanceId",
      `Not registered managed nodes of this account in ${ctx.region}: ${[...new Set(missing)].join(", ")}. Check the ids with DescribeInstanceInformation.`,
    );
  }
  return found;
}

/**
 * Run Command's targets: InstanceIds, or Targets (Key InstanceIds — "*" for every node —, tag:<key>,
 * tag-key). Several Targets entries must all hold. Returns the ids of registered nodes the caller's
 * account owns in its region, sorted.
 */
export async function resolveTargetIds(ctx: RequestContext, input: TargetInput): Promise<string[]> {
  const hasIds = (input.InstanceIds?.length ?? 0) > 0;
  const hasTargets = (input.Targets?.length ?? 0) > 0;
  if (hasIds && hasTargets) throw new ApiError("InvalidParameters", "Give either InstanceIds or Targets, not both.");
  if (hasIds) return explicitIds(ctx, (input.InstanceIds ?? []).map(String));
  if (!hasTargets)
    throw new ApiError("InvalidParameters", "Name the nodes to run on: give InstanceIds or Targets (for example Key=tag:Environment,Values=Prod).");
  let result: Set<string> | undefined;
  for (const t of input.Targets ?? []) {
    const key = String(t.Key ?? "");
    const values = (t.Values ?? []).map(String);
    if (values.length === 0) throw new ApiError("InvalidTarget", `The target ${key || "(no Key)"} has no Values; give at least one.`);
    let ids: string[];
    if (key === "InstanceIds") {
      ids = values.includes("*") ? await registeredNodeIds(ctx.services.db, ctx, "*") : await explicitIds(ctx, values);
    } else if (key.startsWith("tag:") && key.length > 4) {
      ids = await registeredNodeIds(ctx.services.db, ctx, await findByTag(ctx.services.db, ctx, NODE_RESOURCE_TYPE, key.slice(4), values));
    } else if (key === "tag-key") {
      const tagged = (await Promise.all(values.map((k) => findByTag(ctx.services.db, ctx, NODE_RESOURCE_TYPE, k)))).flat();
      ids = await registeredNodeIds(ctx.services.db, ctx, [...new Set(tagged)]);
    } else if (key.startsWith("resource-groups:")) {
      throw new ApiError(
        "InvalidTarget",
        `openssm has no AWS Resource Groups, so the target key ${key} is not supported; target nodes by tag:<key>, tag-key or InstanceIds.`,
      );
    } else {
      throw new ApiError("InvalidTarget", `${key || "(no Key)"} is not a target key; use InstanceIds, tag:<key> or tag-key.`);
    }
    const next = new Set(ids);
    result = result ? new Set([...result].filter((id) => next.has(id))) : next;
  }
  return [...(result ?? [])].sort();
}

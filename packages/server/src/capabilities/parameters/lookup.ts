import { ApiError } from "../../errors.js";
import { ReplicatedCache } from "../../cluster/replicated-cache.js";
import type { RequestContext, ResourceRef, ServerSlot, Services, Tx } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { getTags } from "../tags/index.js";
import { type ParameterReference, parseReference } from "./names.js";
import { getHead, type HeadRow, pdb, readVersion, type VersionRead, type VersionRow } from "./store.js";
import { parameterArn } from "./values.js";

/** The tag store's resource type for parameters. */
export const PARAMETER_RESOURCE_TYPE = "Parameter";

export const notFound = (name: string) => new ApiError("ParameterNotFound", `Parameter ${name} not found.`);

export function reference(ctx: RequestContext, input: string): ParameterReference {
  return parseReference(String(input ?? ""), ctx);
}

/** The resource a parameter reference names, for authorization (tags load only when a policy asks). */
export function parameterResource(ctx: RequestContext, key: string): ResourceRef {
  return { arn: parameterArn(ctx, key), tags: () => getTags(ctx.services.db, ctx, PARAMETER_RESOURCE_TYPE, key) };
}

export function resourceOf(ctx: RequestContext, input: string): ResourceRef {
  return parameterResource(ctx, reference(ctx, input).key);
}

/** The latest state of a parameter, or ParameterNotFound. */
export async function requireHead(ctx: RequestContext, ref: ParameterReference): Promise<HeadRow> {
  if (ref.elsewhere) {
    throw new ApiError(
      "ParameterNotFound",
      `Parameter ${ref.name} not found in account ${ctx.accountId}, region ${ctx.region}: openssm does not share parameters across accounts or regions; call the account and region that own it.`,
    );
  }
  const head = await getHead(pdb(ctx.services.db), ctx, ref.key);
  if (!head) throw notFound(ref.name);
  return head;
}

export function versionNotFound(name: string, version: number | string): ApiError {
  return new ApiError("ParameterVersionNotFound", `Systems Manager could not find version ${version} of ${name}. Verify the version and try again.`);
}

/**
 * What GetParameter(s) read, kept per server (per replica on PostgreSQL, invalidated on every replica
 * by each write of the parameter: see ReplicatedCache): a read of an unchanged parameter costs no round trip.
 * Values stay as stored (a SecureString's ciphertext; decryption happens per call).
 */
const READS: ServerSlot<ReplicatedCache<VersionRead | undefined>> = {
  name: "parameters.reads",
  create: (services) => new ReplicatedCache(services, "parameters"),
};

const cacheKey = (s: Scope, key: string) => `${s.accountId}|${s.region}|${key}`;

/**
 * Runs a write of the parameter (its versions, labels, or its existence) in one transaction, with the
 * invalidation of what replicas cached of it going out in that same transaction (see ReplicatedCache.change).
 */
export function changeParameter<T>(services: Services, s: Scope, key: string, write: (tx: Tx) => Promise<T>): Promise<T> {
  return services.own(READS).change(cacheKey(s, key), (announce) =>
    services.transaction(async (tx) => {
      await announce(tx.db);
      return write(tx);
    }),
  );
}

/** The version a reference selects (latest, `:version` or `:label`), or ParameterNotFound / ParameterVersionNotFound; one query, or none from the cache. */
export async function resolveVersion(ctx: RequestContext, ref: ParameterReference): Promise<{ head: VersionRead["head"]; row: VersionRow }> {
  if (ref.elsewhere) return resolveElsewhere(ctx, ref);
  const variant = ref.selector ? `${ref.selector.kind}:${ref.selector.text}` : "";
  const found = await ctx.services.own(READS).get(cacheKey(ctx, ref.key), variant, () => readVersion(pdb(ctx.services.db), ctx, ref.key, ref.selector));
  if (!found) throw notFound(ref.name);
  const { head } = found;
  if (ref.selector?.kind === "label" && found.labeled === undefined) {
    throw new ApiError(
      "ParameterVersionNotFound",
      `Systems Manager could not find a version of ${head.name} labeled ${ref.selector.label}. Verify the label and try again.`,
    );
  }
  const version = ref.selector?.kind === "version" ? ref.selector.version : (found.labeled ?? head.version);
  if (!found.row) throw versionNotFound(head.name, version);
  return { head, row: found.row };
}

/** A reference to another account's or region's parameter: requireHead's refusal. */
async function resolveElsewhere(ctx: RequestContext, ref: ParameterReference): Promise<never> {
  await requireHead(ctx, ref);
  throw notFound(ref.name);
}

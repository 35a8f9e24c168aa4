import { randomBytes, randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import { seal, unseal } from "../../crypto/seal.js";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { tables } from "../../storage/database.js";
import type { KmsTables } from "./tables.js";
import { inScope } from "../../storage/scope.js";

export type KeyRow = Selectable<KmsTables["kms_keys"]>;
export type AliasRow = Selectable<KmsTables["kms_aliases"]>;

/** The alias of the AWS managed key that Parameter Store uses when no key is named. */
export const SSM_MANAGED_ALIAS = "alias/aws/ssm";
const MANAGED_DESCRIPTIONS: Record<string, string> = {
  [SSM_MANAGED_ALIAS]: "Default key that protects my SSM parameters when no other key is defined",
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KMS_ARN = /^arn:[a-z-]+:kms:([a-z0-9-]*):(\d{12}):(key\/.+|alias\/.+)$/;

export const db = (ctx: RequestContext) => tables<KmsTables>(ctx.services.db);
export const keyArn = (ctx: RequestContext, keyId: string) => ctx.arn("kms", `key/${keyId}`);
export const aliasArn = (ctx: RequestContext, aliasName: string) => ctx.arn("kms", aliasName);
export const isUuid = (s: string) => UUID.test(s);

export function keyNotFound(ctx: RequestContext, keyId: string): ApiError {
  return new ApiError("NotFoundException", `Key '${keyArn(ctx, keyId)}' does not exist`);
}

export function aliasNotFound(ctx: RequestContext, aliasName: string): ApiError {
  return new ApiError("NotFoundException", `Alias '${aliasArn(ctx, aliasName)}' is not found.`);
}

/** What a KeyId parameter names: a key (by id) or an alias (by name), in the caller's account and region. */
export type KeyReference = { kind: "key"; keyId: string } | { kind: "alias"; aliasName: string };

/** Parses a key id, key ARN, alias name or alias ARN; anything else (or another account's ARN) is NotFoundException. */
export function parseReference(ctx: RequestContext, ref: string): KeyReference {
  if (ref.startsWith("alias/")) return { kind: "alias", aliasName: ref };
  if (isUuid(ref)) return { kind: "key", keyId: ref.toLowerCase() };
  const m = KMS_ARN.exec(ref);
  if (m) {
    const [, region, account, resource] = m;
    const elsewhere = region !== ctx.region || account !== ctx.accountId;
    if (resource.startsWith("alias/")) {
      if (elsewhere) throw new ApiError("NotFoundException", `Alias '${ref}' is not found.`);
      return { kind: "alias", aliasName: resource };
    }
    const keyId = resource.slice("key/".length);
    if (elsewhere || !isUuid(keyId)) throw new ApiError("NotFoundException", `Key '${ref}' does not exist`);
    return { kind: "key", keyId: keyId.toLowerCase() };
  }
  throw new ApiError("NotFoundException", `Invalid keyId '${ref}'. Name a key by its id (a UUID), its key ARN, an alias name (alias/...) or an alias ARN.`);
}

export async function getKey(ctx: RequestContext, keyId: string): Promise<KeyRow | undefined> {
  return db(ctx).selectFrom("kms_keys").selectAll().where(inScope(ctx)).where("key_id", "=", keyId).executeTakeFirst();
}

export async function getAlias(ctx: RequestContext, aliasName: string): Promise<AliasRow | undefined> {
  return db(ctx).selectFrom("kms_aliases").selectAll().where(inScope(ctx)).where("alias_name", "=", aliasName).executeTakeFirst();
}

/** Finds the key a reference names. The AWS managed alias alias/aws/ssm is created on first use. */
export async function findKey(ctx: RequestContext, ref: string | undefined): Promise<KeyRow> {
  const parsed = parseReference(ctx, ref ?? SSM_MANAGED_ALIAS);
  if (parsed.kind === "key") {
    const key = await getKey(ctx, parsed.keyId);
    if (!key) throw keyNotFound(ctx, parsed.keyId);
    return key;
  }
  const alias = await getAlias(ctx, parsed.aliasName);
  if (!alias) {
    if (MANAGED_DESCRIPTIONS[parsed.aliasName]) return ensureManagedKey(ctx, parsed.aliasName);
    throw aliasNotFound(ctx, parsed.aliasName);
  }
  const key = await getKey(ctx, alias.key_id);
  if (!key) throw keyNotFound(ctx, alias.key_id);
  return key;
}

export interface NewKey {
  description: string;
  keyManager: "CUSTOMER" | "AWS";
}

/** Creates a symmetric ENCRYPT_DECRYPT key with fresh material, sealed under the master key with the key ARN as AAD. */
export async function insertKey(ctx: RequestContext, spec: NewKey): Promise<KeyRow> {
  const keyId = randomUUID();
  const material = randomBytes(32);
  const row: KeyRow = {
    account_id: ctx.accountId,
    region: ctx.region,
    key_id: keyId,
    description: spec.description,
    key_usage: "ENCRYPT_DECRYPT",
    key_spec: "SYMMETRIC_DEFAULT",
    key_manager: spec.keyManager,
    key_state: "Enabled",
    creation_date: ctx.now().getTime(),
    deletion_date: null,
    pending_window_days: null,
    sealed_material: seal(ctx.services.masterKey, material, keyArn(ctx, keyId)),
  };
  material.fill(0);
  await db(ctx).insertInto("kms_keys").values(row).execute();
  return row;
}

/** Creates the AWS managed key behind a reserved alias, once per account and region, even under concurrent first uses. */
async function ensureManagedKey(ctx: RequestContext, aliasName: string): Promise<KeyRow> {
  const key = await insertKey(ctx, { description: MANAGED_DESCRIPTIONS[aliasName], keyManager: "AWS" });
  const now = ctx.now().getTime();
  const inserted = await db(ctx)
    .insertInto("kms_aliases")
    .values({ account_id: ctx.accountId, region: ctx.region, alias_name: aliasName, key_id: key.key_id, creation_date: now, last_updated_date: now })
    .onConflict((oc) => oc.columns(["account_id", "region", "alias_name"]).doNothing())
    .returning("alias_name")
    .execute();
  if (inserted.length > 0) return key;
  // Another request created it first: drop ours and use theirs.
  await db(ctx).deleteFrom("kms_keys").where(inScope(ctx)).where("key_id", "=", key.key_id).execute();
  const alias = await getAlias(ctx, aliasName);
  const winner = alias && (await getKey(ctx, alias.key_id));
  if (!winner) throw new ApiError("KMSInternalException", `The AWS managed key ${aliasName} could not be created; retry the request.`, 500);
  return winner;
}

/** The key's AES-256 material (caller must not keep it longer than needed). */
export function keyMaterial(ctx: RequestContext, key: KeyRow): Buffer {
  return unseal(ctx.services.masterKey, Buffer.from(key.sealed_material), keyArn(ctx, key.key_id));
}

/** Throws DisabledException or KMSInvalidStateException unless the key may be used for cryptography. */
export function assertUsable(ctx: RequestContext, key: KeyRow): void {
  const arn = keyArn(ctx, key.key_id);
  if (key.key_state === "Disabled") throw new ApiError("DisabledException", `${arn} is disabled. Enable it with EnableKey to use it.`);
  if (key.key_state === "PendingDeletion") {
    throw new ApiError("KMSInvalidStateException", `${arn} is pending deletion. Cancel the deletion with CancelKeyDeletion (then EnableKey) to use it.`);
  }
  if (key.key_state !== "Enabled") throw new ApiError("KMSInvalidStateException", `${arn} is ${key.key_state}.`);
}

/**
 * Managing IAM-style users, roles, inline policies and access keys, with IAM's rules and error names
 * (NoSuchEntity, EntityAlreadyExists, MalformedPolicyDocument, LimitExceeded, DeleteConflict). Used by
 * the admin API (capabilities/admin) and by `openssm iam`, so both apply the same checks.
 */
import type { Kysely } from "kysely";
import { ApiError } from "../errors.js";
import type { AnyDb } from "../storage/database.js";
import { type PolicyDocument, policyProblem } from "./policy.js";
import {
  type AccessKeyRecord,
  createAccessKey,
  createPrincipal,
  deletePolicy,
  deletePrincipal,
  findAccessKey,
  findPrincipal,
  listAccessKeys,
  listPolicies,
  putPolicy,
  setPrincipalTags,
} from "./principals.js";
import type { IamTables } from "./tables.js";

export type PrincipalKind = "user" | "role";
export type PrincipalRow = NonNullable<Awaited<ReturnType<typeof findPrincipal>>>;

const Title = { user: "User", role: "Role" } as const;

/** IAM's limits: tags per user or role, inline policy size, access keys per user. */
export const MAX_TAGS = 50;
export const MAX_INLINE_POLICY_CHARS = 10_240;
export const MAX_TRUST_POLICY_CHARS = 2_048;

const NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

export const noSuchEntity = (message: string) => new ApiError("NoSuchEntity", message, 404);

/** `label` names the value in the message (the CLI passes its flag, --user-name). */
export function checkPrincipalName(kind: PrincipalKind, name: string, label = `The ${kind} name`): string {
  if (!NAME.test(name)) throw new ApiError("ValidationException", `${label} '${name}' is invalid: use 1 to 64 letters, digits or the characters _+=,.@-`);
  return name;
}

export function checkIamPath(path: string | undefined, label = "The path"): string {
  if (path === undefined) return "/";
  if (path.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(path)) {
    throw new ApiError(
      "ValidationException",
      `${label} '${path}' is invalid: it must begin and end with / (for example /engineering/), printable ASCII, at most 512 characters`,
    );
  }
  return path;
}

export function checkPolicyName(name: string, label = "The policy name"): string {
  if (!POLICY_NAME.test(name))
    throw new ApiError("ValidationException", `${label} '${name}' is invalid: use 1 to 128 letters, digits or the characters _+=,.@-`);
  return name;
}

/** A policy document from its JSON text, checked with the server's policy checker and IAM's size limit. */
export function parsePolicyDocument(text: string, maxChars = MAX_INLINE_POLICY_CHARS): PolicyDocument {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ApiError("MalformedPolicyDocument", `The policy document is not valid JSON: ${(e as Error).message}`);
  }
  const problem = policyProblem(doc);
  if (problem) throw new ApiError("MalformedPolicyDocument", problem);
  if (JSON.stringify(doc).length > maxChars) {
    throw new ApiError(
      "LimitExceeded",
      `The policy document has ${JSON.stringify(doc).length} characters (without white space); at most ${maxChars} are allowed.`,
    );
  }
  return doc as PolicyDocument;
}

/**
 * A role's trust policy (who may assume it): JSON with statements that name a Principal and sts:
 * actions, at most 2048 characters. Stored and shown; openssm's own callers assume roles in-process.
 */
export function parseTrustPolicy(text: string): string {
  let doc: { Statement?: unknown } | undefined;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ApiError("MalformedPolicyDocument", `The trust policy is not valid JSON: ${(e as Error).message}`);
  }
  const list = doc && typeof doc === "object" ? doc.Statement : undefined;
  const statements = Array.isArray(list) ? list : list && typeof list === "object" ? [list] : [];
  if (statements.length === 0) throw new ApiError("MalformedPolicyDocument", "The trust policy has no Statement.");
  statements.forEach((st: Record<string, unknown>, i) => {
    const where = `Statement ${i + 1}`;
    if (st?.Effect !== "Allow" && st?.Effect !== "Deny") throw new ApiError("MalformedPolicyDocument", `${where}: Effect must be Allow or Deny.`);
    if (st.Principal === undefined && st.NotPrincipal === undefined)
      throw new ApiError("MalformedPolicyDocument", `${where}: a trust policy names a Principal.`);
    const actions = ([] as unknown[]).concat(st.Action ?? []);
    if (actions.length === 0 || !actions.every((a) => typeof a === "string" && /^(sts:[\w*]+|\*)$/.test(a))) {
      throw new ApiError("MalformedPolicyDocument", `${where}: a trust policy's Action is sts:AssumeRole (or another sts: action).`);
    }
  });
  const compact = JSON.stringify(doc);
  if (compact.length > MAX_TRUST_POLICY_CHARS)
    throw new ApiError("LimitExceeded", `The trust policy has ${compact.length} characters; at most ${MAX_TRUST_POLICY_CHARS} are allowed.`);
  return compact;
}

/** Tags as IAM accepts them: keys 1-128 characters, values 0-256, no aws: prefix. */
export function checkTags(tags: Record<string, string>): Record<string, string> {
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128) throw new ApiError("ValidationException", `The tag key '${key}' must have 1 to 128 characters`);
    if (value.length > 256) throw new ApiError("ValidationException", `The value of tag '${key}' must have at most 256 characters`);
    if (key.toLowerCase().startsWith("aws:")) throw new ApiError("InvalidInput", `The tag key '${key}' uses the reserved prefix aws:`);
  }
  if (Object.keys(tags).length > MAX_TAGS) throw new ApiError("LimitExceeded", `A user or role may have at most ${MAX_TAGS} tags.`);
  return tags;
}

/** The user or role of that name in the account, or NoSuchEntity. */
export async function requirePrincipal(db: AnyDb, accountId: string, kind: PrincipalKind, name: string): Promise<PrincipalRow> {
  const row = await findPrincipal(db, accountId, kind, checkPrincipalName(kind, name));
  if (!row) throw noSuchEntity(`The ${kind} with name ${name} cannot be found.`);
  return row;
}

export interface NewPrincipal {
  accountId: string;
  kind: PrincipalKind;
  name: string;
  path?: string;
  tags?: Record<string, string>;
  /** A role's trust policy, as JSON text. */
  trustPolicy?: string;
}

/** Creates a user or role; EntityAlreadyExists when the name is taken in the account (whatever the path). */
export async function createIamPrincipal(db: AnyDb, p: NewPrincipal, now: number): Promise<PrincipalRow> {
  const name = checkPrincipalName(p.kind, p.name);
  const path = checkIamPath(p.path);
  const tags = checkTags(p.tags ?? {});
  const trust = p.trustPolicy === undefined ? undefined : parseTrustPolicy(p.trustPolicy);
  if (await findPrincipal(db, p.accountId, p.kind, name)) {
    throw new ApiError("EntityAlreadyExists", `A ${p.kind} with name ${name} already exists.`, 409);
  }
  const created = await createPrincipal(db, { accountId: p.accountId, kind: p.kind, name, path, tags }, now);
  if (trust !== undefined) {
    await (db as unknown as Kysely<IamTables>).updateTable("iam_principals").set({ trust_policy: trust }).where("arn", "=", created.arn).execute();
  }
  return requirePrincipal(db, p.accountId, p.kind, name);
}

/**
 * Deletes a user or role. IAM refuses (DeleteConflict) while it still has inline policies or access
 * keys; `cascade` (the CLI's delete) removes them with it.
 */
export async function deleteIamPrincipal(db: AnyDb, row: PrincipalRow, opts: { cascade: boolean }): Promise<void> {
  if (!opts.cascade) {
    const policies = await listPolicies(db, row.arn);
    if (policies.length) {
      throw new ApiError(
        "DeleteConflict",
        `Cannot delete entity, must delete policies first: ${row.kind} ${row.name} has ${policies.map((p) => p.name).join(", ")}.`,
        409,
      );
    }
    const keys = (await listAccessKeys(db, row.arn)).filter((k) => !k.temporary);
    if (keys.length) throw new ApiError("DeleteConflict", `Cannot delete entity, must delete access keys first: user ${row.name} has ${keys.length}.`, 409);
  }
  await deletePrincipal(db, row.arn);
}

export const principalTags = (row: PrincipalRow) => JSON.parse(row.tags) as Record<string, string>;
export const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** IAM's User / Role object (CreateDate as a Date; callers format it). */
export function principalView(row: PrincipalRow, withTags: boolean) {
  const kind = row.kind as PrincipalKind;
  const tags = principalTags(row);
  return {
    Path: row.path,
    [`${Title[kind]}Name`]: row.name,
    [`${Title[kind]}Id`]: row.principal_id,
    Arn: row.arn,
    CreateDate: new Date(Number(row.created_at)),
    ...(kind === "role" && row.trust_policy ? { AssumeRolePolicyDocument: row.trust_policy } : {}),
    ...(withTags && Object.keys(tags).length ? { Tags: tagList(tags) } : {}),
  };
}

/** Adds or replaces tags; LimitExceeded past 50. */
export async function tagIamPrincipal(db: AnyDb, row: PrincipalRow, add: Record<string, string>): Promise<void> {
  await setPrincipalTags(db, row.arn, checkTags({ ...principalTags(row), ...checkTags(add) }));
}

export async function untagIamPrincipal(db: AnyDb, row: PrincipalRow, keys: string[]): Promise<void> {
  const tags = principalTags(row);
  for (const k of keys) delete tags[k];
  await setPrincipalTags(db, row.arn, tags);
}

export async function putInlinePolicy(db: AnyDb, row: PrincipalRow, name: string, doc: PolicyDocument, now: number): Promise<void> {
  await putPolicy(db, row.arn, checkPolicyName(name), doc, now);
}

export async function getInlinePolicy(db: AnyDb, row: PrincipalRow, name: string): Promise<{ name: string; document: PolicyDocument }> {
  const policy = (await listPolicies(db, row.arn)).find((x) => x.name === name);
  if (!policy) throw noSuchEntity(`The ${row.kind} ${row.name} has no policy named ${name}.`);
  return policy;
}

export async function deleteInlinePolicy(db: AnyDb, row: PrincipalRow, name: string): Promise<void> {
  if ((await deletePolicy(db, row.arn, name)) === 0) throw noSuchEntity(`The ${row.kind} ${row.name} has no policy named ${name}.`);
}

export async function listInlinePolicyNames(db: AnyDb, row: PrincipalRow): Promise<string[]> {
  return (await listPolicies(db, row.arn)).map((p) => p.name);
}

/** A user's long-term access keys (temporary credentials are not listed). */
export async function userAccessKeys(db: AnyDb, row: PrincipalRow): Promise<AccessKeyRecord[]> {
  return (await listAccessKeys(db, row.arn)).filter((k) => !k.temporary);
}

/** Creates a long-term key for a user; the secret is returned now and stored only sealed. */
export async function createUserAccessKey(db: AnyDb, masterKey: Buffer, row: PrincipalRow, now: number) {
  if (row.kind !== "user") throw new ApiError("ValidationException", `Access keys belong to users; ${row.name} is a ${row.kind}.`);
  return createAccessKey(db, masterKey, row.arn, now);
}

/** The long-term key of that id, owned by `user` when given (its account's users otherwise), or NoSuchEntity. */
export async function requireAccessKey(db: AnyDb, accountId: string, id: string, user?: PrincipalRow): Promise<AccessKeyRecord> {
  const key = await findAccessKey(db, id);
  const ownerAccount = key ? /^arn:aws:iam::(\d{12}):user\//.exec(key.principalArn)?.[1] : undefined;
  if (!key || key.temporary || ownerAccount !== accountId || (user && key.principalArn !== user.arn)) {
    throw noSuchEntity(`The Access Key with id ${id} cannot be found${user ? ` for user ${user.name}` : ""}.`);
  }
  return key;
}

/** The IAM AccessKeyMetadata of a key. */
export const accessKeyMetadata = (k: AccessKeyRecord, userName: string) => ({
  UserName: userName,
  AccessKeyId: k.accessKeyId,
  Status: k.status,
  CreateDate: k.createdAt,
});

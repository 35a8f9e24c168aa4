import type { Kysely } from "kysely";
import { createHash } from "node:crypto";
import { seal, unseal } from "../crypto/seal.js";
import { type AnyDb, tables } from "../storage/database.js";
import { newAccessKeyId, newPrincipalId, newSecretAccessKey } from "./ids.js";
import type { PolicyDocument } from "./policy.js";
import type { IamTables } from "./tables.js";

export interface Principal {
  arn: string;
  accountId: string;
  kind: "user" | "role" | "node" | "anonymous";
  name: string;
  principalId: string;
  tags: Record<string, string>;
}

export const ANONYMOUS: Principal = { arn: "anonymous", accountId: "", kind: "anonymous", name: "anonymous", principalId: "anonymous", tags: {} };

export interface AccessKeyRecord {
  accessKeyId: string;
  principalArn: string;
  status: "Active" | "Inactive";
  createdAt: Date;
  expiresAt?: Date;
  temporary: boolean;
}

const db = (d: AnyDb): Kysely<IamTables> => tables<IamTables>(d);
const secretAad = (id: string) => `access-key:${id}`;

export function principalArn(accountId: string, kind: "user" | "role" | "node", name: string, path = "/"): string {
  if (kind === "user") return `arn:aws:iam::${accountId}:user${path}${name}`;
  if (kind === "role") return `arn:aws:iam::${accountId}:role${path}${name}`;
  return `arn:aws:sts::${accountId}:assumed-role/${name}`;
}

export async function ensureAccount(d: AnyDb, accountId: string, name: string, now: number): Promise<void> {
  await db(d)
    .insertInto("iam_accounts")
    .values({ account_id: accountId, name, created_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function listAccounts(d: AnyDb) {
  return db(d).selectFrom("iam_accounts").selectAll().orderBy("created_at").execute();
}

export async function createPrincipal(
  d: AnyDb,
  p: { accountId: string; kind: "user" | "role" | "node"; name: string; path?: string; tags?: Record<string, string> },
  now: number,
): Promise<Principal> {
  const path = p.path ?? "/";
  const arn = principalArn(p.accountId, p.kind, p.name, path);
  const principalId = newPrincipalId(p.kind);
  await db(d)
    .insertInto("iam_principals")
    .values({ arn, account_id: p.accountId, kind: p.kind, name: p.name, principal_id: principalId, path, tags: JSON.stringify(p.tags ?? {}), created_at: now })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const stored = await getPrincipal(d, arn);
  if (!stored) throw new Error(`principal ${arn} could not be stored`);
  return stored;
}

export async function getPrincipal(d: AnyDb, arn: string): Promise<Principal | undefined> {
  const row = await db(d).selectFrom("iam_principals").selectAll().where("arn", "=", arn).executeTakeFirst();
  if (!row) return undefined;
  return {
    arn: row.arn,
    accountId: row.account_id,
    kind: row.kind,
    name: row.name,
    principalId: row.principal_id,
    tags: JSON.parse(row.tags) as Record<string, string>,
  };
}

/** The user, role or node of that name in an account (names are unique per account and kind, whatever the path). */
export async function findPrincipal(d: AnyDb, accountId: string, kind: "user" | "role" | "node", name: string) {
  return db(d)
    .selectFrom("iam_principals")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("kind", "=", kind)
    .where("name", "=", name)
    .executeTakeFirst();
}

export async function listPrincipals(d: AnyDb, accountId?: string) {
  let q = db(d).selectFrom("iam_principals").selectAll();
  if (accountId) q = q.where("account_id", "=", accountId);
  return q.orderBy("arn").execute();
}

export async function setPrincipalTags(d: AnyDb, arn: string, tags: Record<string, string>): Promise<void> {
  await db(d)
    .updateTable("iam_principals")
    .set({ tags: JSON.stringify(tags) })
    .where("arn", "=", arn)
    .execute();
}

export async function deletePrincipal(d: AnyDb, arn: string): Promise<void> {
  await db(d).deleteFrom("iam_access_keys").where("principal_arn", "=", arn).execute();
  await db(d).deleteFrom("iam_policies").where("principal_arn", "=", arn).execute();
  await db(d).deleteFrom("iam_principals").where("arn", "=", arn).execute();
}

export async function putPolicy(d: AnyDb, arn: string, name: string, doc: PolicyDocument, now: number): Promise<void> {
  const document = JSON.stringify(doc);
  await db(d)
    .insertInto("iam_policies")
    .values({ principal_arn: arn, policy_name: name, document, updated_at: now })
    .onConflict((oc) => oc.columns(["principal_arn", "policy_name"]).doUpdateSet({ document, updated_at: now }))
    .execute();
}

export async function deletePolicy(d: AnyDb, arn: string, name: string): Promise<number> {
  const r = await db(d).deleteFrom("iam_policies").where("principal_arn", "=", arn).where("policy_name", "=", name).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function listPolicies(d: AnyDb, arn: string): Promise<{ name: string; document: PolicyDocument }[]> {
  const rows = await db(d).selectFrom("iam_policies").select(["policy_name", "document"]).where("principal_arn", "=", arn).orderBy("policy_name").execute();
  return rows.map((r) => ({ name: r.policy_name, document: JSON.parse(r.document) as PolicyDocument }));
}

export interface NewAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiresAt?: Date;
}

export async function createAccessKey(
  d: AnyDb,
  masterKey: Buffer,
  principal: string,
  now: number,
  opts: { accessKeyId?: string; secretAccessKey?: string; sessionToken?: string; expiresAt?: number } = {},
): Promise<NewAccessKey> {
  const temporary = opts.sessionToken !== undefined;
  const accessKeyId = opts.accessKeyId ?? newAccessKeyId(temporary);
  const secretAccessKey = opts.secretAccessKey ?? newSecretAccessKey();
  await db(d)
    .insertInto("iam_access_keys")
    .values({
      access_key_id: accessKeyId,
      principal_arn: principal,
      secret_sealed: seal(masterKey, Buffer.from(secretAccessKey, "utf8"), secretAad(accessKeyId)),
      session_token_hash: opts.sessionToken ? sha256(opts.sessionToken) : null,
      expires_at: opts.expiresAt ?? null,
      status: "Active",
      created_at: now,
    })
    .execute();
  return { accessKeyId, secretAccessKey, sessionToken: opts.sessionToken, expiresAt: opts.expiresAt ? new Date(opts.expiresAt) : undefined };
}

type KeyRow = Pick<IamTables["iam_access_keys"], "access_key_id" | "principal_arn" | "status" | "created_at" | "expires_at" | "session_token_hash">;

const keyRecord = (r: KeyRow): AccessKeyRecord => ({
  accessKeyId: r.access_key_id,
  principalArn: r.principal_arn,
  status: r.status,
  createdAt: new Date(r.created_at),
  expiresAt: r.expires_at ? new Date(r.expires_at) : undefined,
  temporary: r.session_token_hash !== null,
});

export async function listAccessKeys(d: AnyDb, principal?: string): Promise<AccessKeyRecord[]> {
  let q = db(d).selectFrom("iam_access_keys").select(["access_key_id", "principal_arn", "status", "created_at", "expires_at", "session_token_hash"]);
  if (principal) q = q.where("principal_arn", "=", principal);
  const rows = await q.orderBy("created_at").execute();
  return rows.map(keyRecord);
}

export async function findAccessKey(d: AnyDb, id: string): Promise<AccessKeyRecord | undefined> {
  const r = await db(d)
    .selectFrom("iam_access_keys")
    .select(["access_key_id", "principal_arn", "status", "created_at", "expires_at", "session_token_hash"])
    .where("access_key_id", "=", id)
    .executeTakeFirst();
  return r ? keyRecord(r) : undefined;
}

export async function setAccessKeyStatus(d: AnyDb, id: string, status: "Active" | "Inactive"): Promise<number> {
  const r = await db(d).updateTable("iam_access_keys").set({ status }).where("access_key_id", "=", id).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

export async function deleteAccessKey(d: AnyDb, id: string): Promise<number> {
  const r = await db(d).deleteFrom("iam_access_keys").where("access_key_id", "=", id).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** What authentication needs about a key: its secret (unsealed in memory only), owner and policies. */
export interface ResolvedKey {
  accessKeyId: string;
  secret: string;
  sessionTokenHash: string | null;
  expiresAt: number | null;
  status: "Active" | "Inactive";
  principal: Principal;
  policies: PolicyDocument[];
}

/**
 * The key, its owner and the owner's policies in one query (one round trip on PostgreSQL): one row
 * per policy, or one row with no policy columns when the owner has none.
 */
export async function resolveAccessKey(d: AnyDb, masterKey: Buffer, id: string): Promise<ResolvedKey | undefined> {
  const rows = await db(d)
    .selectFrom("iam_access_keys as k")
    .innerJoin("iam_principals as p", "p.arn", "k.principal_arn")
    .leftJoin("iam_policies as pol", "pol.principal_arn", "p.arn")
    .select([
      "k.secret_sealed",
      "k.session_token_hash",
      "k.expires_at",
      "k.status",
      "p.arn",
      "p.account_id",
      "p.kind",
      "p.name",
      "p.principal_id",
      "p.tags",
      "pol.policy_name",
      "pol.document",
    ])
    .where("k.access_key_id", "=", id)
    .orderBy("pol.policy_name")
    .execute();
  const row = rows[0];
  if (!row) return undefined;
  return {
    accessKeyId: id,
    secret: unseal(masterKey, Buffer.from(row.secret_sealed), secretAad(id)).toString("utf8"),
    sessionTokenHash: row.session_token_hash,
    expiresAt: row.expires_at,
    status: row.status,
    principal: {
      arn: row.arn,
      accountId: row.account_id,
      kind: row.kind,
      name: row.name,
      principalId: row.principal_id,
      tags: JSON.parse(row.tags) as Record<string, string>,
    },
    policies: rows.filter((r) => r.document !== null).map((r) => JSON.parse(r.document as string) as PolicyDocument),
  };
}

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Replaces the stored (sealed) secret of an existing access key and makes it active. */
export async function setAccessKeySecret(d: AnyDb, masterKey: Buffer, accessKeyId: string, secret: string): Promise<void> {
  await db(d)
    .updateTable("iam_access_keys")
    .set({ secret_sealed: seal(masterKey, Buffer.from(secret, "utf8"), secretAad(accessKeyId)), status: "Active" })
    .where("access_key_id", "=", accessKeyId)
    .execute();
}

/**
 * Whether `masterKey` opens the access-key secrets already stored (true when there are none yet),
 * so a tool writing to the database can refuse to seal new secrets under a different key.
 */
export async function verifyMasterKey(d: AnyDb, masterKey: Buffer): Promise<boolean> {
  const row = await db(d).selectFrom("iam_access_keys").select(["access_key_id", "secret_sealed"]).limit(1).executeTakeFirst();
  if (!row) return true;
  try {
    unseal(masterKey, Buffer.from(row.secret_sealed), secretAad(row.access_key_id));
    return true;
  } catch {
    return false;
  }
}

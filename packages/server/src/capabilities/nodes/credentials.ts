import type { Authenticator } from "../../iam/authenticate.js";
import {
  createAccessKey,
  createPrincipal,
  deleteAccessKey,
  deletePrincipal,
  getPrincipal,
  listAccessKeys,
  principalArn,
  putPolicy,
} from "../../iam/principals.js";
import type { ServerSlot, Services } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import { newSessionToken } from "./ids.js";
import { NODE_POLICY_NAME, nodePolicy } from "./node-policy.js";
import { type InstanceRow, nodeDb } from "./tables.js";

/** Lifetime of a node's temporary credentials (the agent refreshes them at half life). */
export const NODE_CREDENTIAL_LIFETIME_MS = 60 * 60 * 1000;

/** This server's authenticator, so handlers (which see Services only) can drop its cached keys. */
const AUTHENTICATOR: ServerSlot<{ current?: Authenticator }> = { name: "nodes.authenticator", create: () => ({}) };

export function rememberAuthenticator(services: Services, authenticator: Authenticator): void {
  services.own(AUTHENTICATOR).current = authenticator;
}

export function invalidateCachedKeys(services: Services, principal: string): void {
  services.own(AUTHENTICATOR).current?.invalidate(principal);
}

/** `arn:aws:sts::<account>:assumed-role/<IamRole>/<mi-id>`, as AWS names a hybrid node's session. */
export const nodePrincipalArn = (row: Pick<InstanceRow, "account_id" | "iam_role" | "instance_id">) =>
  principalArn(row.account_id, "node", `${row.iam_role}/${row.instance_id}`);

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiresAt: number;
}

/**
 * Issues temporary credentials for a registered node under the principal of its current IAM role.
 * A role change (UpdateManagedInstanceRole) takes effect here, at the next refresh, as on AWS: the
 * principal of the old role and its keys are removed. Expired keys of the node are deleted.
 */
export async function issueNodeCredentials(services: Services, row: InstanceRow, now: number): Promise<IssuedCredentials> {
  const db = services.db;
  const arn = nodePrincipalArn(row);
  if (row.principal_arn && row.principal_arn !== arn) {
    await deletePrincipal(db, row.principal_arn);
    invalidateCachedKeys(services, row.principal_arn);
  }
  const scope = { accountId: row.account_id, region: row.region };
  if (!(await getPrincipal(db, arn))) {
    await createPrincipal(db, { accountId: row.account_id, kind: "node", name: `${row.iam_role}/${row.instance_id}` }, now);
  }
  await putPolicy(db, arn, NODE_POLICY_NAME, nodePolicy(scope, row.instance_id), now);
  if (row.principal_arn !== arn) {
    await nodeDb(db).updateTable("nodes_instances").set({ principal_arn: arn }).where("instance_id", "=", row.instance_id).execute();
  }
  for (const key of await listAccessKeys(db, arn)) {
    if (key.expiresAt && key.expiresAt.getTime() < now) await deleteAccessKey(db, key.accessKeyId);
  }
  const sessionToken = newSessionToken();
  const expiresAt = now + NODE_CREDENTIAL_LIFETIME_MS;
  const key = await createAccessKey(db, services.masterKey, arn, now, { sessionToken, expiresAt });
  return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, sessionToken, expiresAt };
}

/**
 * Removes every credential of a node at once (deregistration): stored keys, policy and principal, in
 * `db` (the deregistration's transaction). Returns the principals, whose cached keys the caller drops
 * (invalidateCachedKeys) once that has committed.
 */
export async function deleteNodeCredentials(db: AnyDb, row: InstanceRow): Promise<string[]> {
  const arns = [...new Set([nodePrincipalArn(row), ...(row.principal_arn ? [row.principal_arn] : [])])];
  for (const arn of arns) await deletePrincipal(db, arn);
  return arns;
}

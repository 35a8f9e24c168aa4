import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Kysely } from "kysely";
import type { AnyDb } from "../storage/database.js";
import { randomAccountId } from "./ids.js";
import { createAccessKey, createPrincipal, ensureAccount, listAccessKeys, principalArn, putPolicy, setAccessKeySecret } from "./principals.js";
import type { IamTables } from "./tables.js";

export const ADMIN_POLICY = { Version: "2012-10-17", Statement: [{ Effect: "Allow" as const, Action: "*", Resource: "*" }] };

export interface BootstrapResult {
  accountId: string;
  adminArn: string;
  /** Where the generated credentials were written, when they were generated. */
  credentialsFile?: string;
}

async function setting(d: Kysely<IamTables>, name: string, make: () => string): Promise<string> {
  await d
    .insertInto("server_settings")
    .values({ name, value: make() })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await d.selectFrom("server_settings").select("value").where("name", "=", name).executeTakeFirstOrThrow();
  return row.value;
}

/**
 * The id of the server's first account, created (with its account row) when the database has none
 * yet: `wanted` (--account-id) or a random one. A database whose default account is another id is
 * refused rather than re-keyed: its resources, ARNs and policies all name that id.
 */
export async function ensureDefaultAccount(db: AnyDb, now: number, wanted?: string): Promise<string> {
  const accountId = await setting(db as unknown as Kysely<IamTables>, "default_account_id", () => wanted ?? randomAccountId());
  if (wanted !== undefined && accountId !== wanted) {
    throw new Error(
      `--account-id / OPENSSM_ACCOUNT_ID is ${wanted}, but this server's storage was created with the default account ${accountId}. ` +
        "openssm does not re-key existing data (every resource, ARN and policy names the account): start without --account-id " +
        `(or with ${accountId}), or start a new data directory / database for account ${wanted}.`,
    );
  }
  await ensureAccount(db, accountId, "default", now);
  return accountId;
}

/**
 * The first account and its admin user. Keys come from OPENSSM_ADMIN_ACCESS_KEY_ID / _SECRET_ACCESS_KEY
 * when set; otherwise one key is generated once and written (mode 0600) to <data dir>/credentials.
 */
export async function bootstrap(
  db: AnyDb,
  masterKey: Buffer,
  dataDir: string,
  now: number,
  admin: { accessKeyId?: string; secretAccessKey?: string },
  wantedAccountId?: string,
): Promise<BootstrapResult> {
  const accountId = await ensureDefaultAccount(db, now, wantedAccountId);
  const adminArn = principalArn(accountId, "user", "admin");
  await createPrincipal(db, { accountId, kind: "user", name: "admin" }, now);
  await putPolicy(db, adminArn, "AdministratorAccess", ADMIN_POLICY, now);

  if (admin.accessKeyId && admin.secretAccessKey) {
    const existing = (await listAccessKeys(db, adminArn)).find((k) => k.accessKeyId === admin.accessKeyId);
    if (existing) await setAccessKeySecret(db, masterKey, admin.accessKeyId, admin.secretAccessKey);
    else await createAccessKey(db, masterKey, adminArn, now, { accessKeyId: admin.accessKeyId, secretAccessKey: admin.secretAccessKey });
    return { accountId, adminArn };
  }
  const file = join(dataDir, "credentials");
  const keys = await listAccessKeys(db, adminArn);
  if (keys.length > 0 && existsSync(file)) return { accountId, adminArn, credentialsFile: file };
  const key = await createAccessKey(db, masterKey, adminArn, now);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    file,
    `# openssm admin credentials for account ${accountId}\n[openssm]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\nregion = us-east-1\n`,
    { mode: 0o600 },
  );
  return { accountId, adminArn, credentialsFile: file };
}

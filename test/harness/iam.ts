import { iam, openStorage } from "@openssm/server";
import type { Credentials, TestServer } from "./server.js";

export interface TestUser extends Credentials {
  arn: string;
  accountId: string;
  name: string;
}

/** The account id of the server's bootstrap admin. */
export async function defaultAccountId(server: TestServer): Promise<string> {
  const storage = openStorage(server.databaseUrl);
  try {
    const row = await storage.db.selectFrom("server_settings").select("value").where("name", "=", "default_account_id").executeTakeFirstOrThrow();
    return row.value as string;
  } finally {
    await storage.close();
  }
}

/**
 * Creates a user with inline policies and an access key, writing straight to the server's storage
 * (as `openssm iam` does). `accountId` defaults to the server's first account; pass another to
 * make a second account.
 */
export async function createUser(
  server: TestServer,
  name: string,
  policies: Record<string, unknown>[],
  opts: { accountId?: string; tags?: Record<string, string> } = {},
): Promise<TestUser> {
  const accountId = opts.accountId ?? (await defaultAccountId(server));
  const storage = openStorage(server.databaseUrl);
  try {
    const now = Date.now();
    await iam.ensureAccount(storage.db, accountId, `account-${accountId}`, now);
    const p = await iam.createPrincipal(storage.db, { accountId, kind: "user", name, tags: opts.tags }, now);
    for (const [i, doc] of policies.entries()) await iam.putPolicy(storage.db, p.arn, `policy-${i + 1}`, doc as never, now);
    const key = await iam.createAccessKey(storage.db, Buffer.from(server.masterKey, "base64"), p.arn, now);
    return { arn: p.arn, accountId, name, accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
  } finally {
    await storage.close();
  }
}

export const allowAll = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { iam, iamAdmin } from "../core.js";
import { CliError, printJson, usageError } from "../errors.js";
import { type CliStorage, withStorage } from "../storage.js";
import { type IamFlags, type PrincipalRow, accountOf, iamCommand, isoDate, principalOf, run } from "./common.js";

type Flags = IamFlags & { userName?: string; accessKeyId?: string; status?: string; credentialsProfile?: string; credentialsFile?: string };

const metadata = (k: iam.AccessKeyRecord, userName: string) => ({
  UserName: userName,
  AccessKeyId: k.accessKeyId,
  Status: k.status,
  CreateDate: isoDate(k.createdAt),
});

/** Where --credentials-profile writes: --credentials-file, else AWS_SHARED_CREDENTIALS_FILE, else the data dir's credentials file. */
function credentialsTarget(o: Flags): string {
  if (o.credentialsFile === "-") return "-";
  if (o.credentialsFile) return resolve(o.credentialsFile);
  if (process.env.AWS_SHARED_CREDENTIALS_FILE) return resolve(process.env.AWS_SHARED_CREDENTIALS_FILE);
  return join(resolve(o.dataDir ?? process.env.OPENSSM_DATA_DIR ?? ".openssm"), "credentials");
}

function profileExists(file: string, profile: string): boolean {
  if (!existsSync(file)) return false;
  return readFileSync(file, "utf8")
    .split(/\r?\n/)
    .some((line) => line.trim() === `[${profile}]`);
}

/** Appends a profile to a credentials file, created mode 0600 (an existing file is made 0600 too: it holds secrets). */
function appendProfile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const existing = existsSync(file) ? readFileSync(file, "utf8") : "";
  const separator = existing && !existing.endsWith("\n") ? "\n\n" : existing ? "\n" : "";
  appendFileSync(file, `${separator}${text}`, { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** The long-term key of the command's account, checked against --user-name when given (the admin API's rule). */
async function keyOf(s: CliStorage, o: Flags): Promise<{ key: iam.AccessKeyRecord; user?: PrincipalRow }> {
  const user = o.userName ? await principalOf(s, o, "user", o.userName) : undefined;
  const key = await iamAdmin.requireAccessKey(s.db, await accountOf(s, o), String(o.accessKeyId), user);
  return { key, user };
}

export function registerAccessKeyCommands(parent: Command): void {
  iamCommand(parent, "create-access-key", "create an access key for an IAM user (the secret is shown only now)")
    .requiredOption("--user-name <name>", "the user's name")
    .option("--credentials-profile <profile>", "add the key as this profile to the shared-credentials file (--credentials-file) instead of printing JSON")
    .option(
      "--credentials-file <file>",
      "the file --credentials-profile writes (mode 0600): default $AWS_SHARED_CREDENTIALS_FILE, else <data dir>/credentials, the file the server's admin profile is in; - prints the profile",
    )
    .action(async (o: Flags) => {
      const profile = o.credentialsProfile;
      if (profile !== undefined && !/^[\w.@+-]{1,64}$/.test(profile)) throw usageError(`--credentials-profile '${profile}' is not a usable profile name`);
      const target = profile === undefined ? undefined : credentialsTarget(o);
      // Refused before the key exists, so that no key is made that nobody can read.
      if (target && target !== "-" && profileExists(target, String(profile))) {
        throw new CliError(`${target} already has a profile [${profile}]: choose another --credentials-profile, or remove that profile first`);
      }
      const { user, key } = await withStorage(o, async (s) => {
        const user = await principalOf(s, o, "user", String(o.userName));
        return { user, key: await iamAdmin.createUserAccessKey(s.db, await s.masterKey(), user, Date.now()) };
      });
      if (profile !== undefined && target) {
        const text = `# openssm user ${user.arn}\n[${profile}]\naws_access_key_id = ${key.accessKeyId}\naws_secret_access_key = ${key.secretAccessKey}\n`;
        if (target === "-") {
          process.stdout.write(text);
          return;
        }
        appendProfile(target, text);
        process.stdout.write(`added profile [${profile}] (${key.accessKeyId}, ${user.arn}) to ${target}\n`);
        return;
      }
      printJson({
        AccessKey: {
          UserName: user.name,
          AccessKeyId: key.accessKeyId,
          Status: "Active",
          SecretAccessKey: key.secretAccessKey,
          CreateDate: isoDate(Date.now()),
        },
      });
    });

  iamCommand(parent, "list-access-keys", "list the access keys of a user (or of every user in the account)")
    .option("--user-name <name>", "the user's name (default: every user of the account)")
    .action(
      run<Flags>(async (s, o) => {
        const users = o.userName
          ? [await principalOf(s, o, "user", o.userName)]
          : (await iam.listPrincipals(s.db, await accountOf(s, o))).filter((p) => p.kind === "user");
        const out = [];
        for (const u of users) for (const k of await iamAdmin.userAccessKeys(s.db, u)) out.push(metadata(k, u.name));
        return { AccessKeyMetadata: out };
      }),
    );

  iamCommand(parent, "update-access-key", "activate or deactivate an access key (servers notice within OPENSSM_CREDENTIAL_CACHE_SECONDS)")
    .requiredOption("--access-key-id <id>", "the key")
    .requiredOption("--status <status>", "Active or Inactive")
    .option("--user-name <name>", "the key's user (checked when given)")
    .action(
      run<Flags>(async (s, o) => {
        if (o.status !== "Active" && o.status !== "Inactive") throw usageError(`--status must be Active or Inactive, got '${o.status}'`);
        const { key } = await keyOf(s, o);
        await iam.setAccessKeyStatus(s.db, key.accessKeyId, o.status);
        return undefined;
      }),
    );

  iamCommand(parent, "delete-access-key", "delete an access key")
    .requiredOption("--access-key-id <id>", "the key")
    .option("--user-name <name>", "the key's user (checked when given)")
    .action(
      run<Flags>(async (s, o) => {
        const { key } = await keyOf(s, o);
        await iam.deleteAccessKey(s.db, key.accessKeyId);
        return undefined;
      }),
    );
}

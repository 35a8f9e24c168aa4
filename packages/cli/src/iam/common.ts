import type { Command } from "commander";
import { ApiError, ensureDefaultAccount, iam, iamAdmin } from "../core.js";
import { CliError, printJson, usageError } from "../errors.js";
import { type CliStorage, type StorageFlags, withStorage, withStorageOptions } from "../storage.js";

export interface IamFlags extends StorageFlags {
  accountId?: string;
}

export type PrincipalKind = "user" | "role";
export type PrincipalRow = NonNullable<Awaited<ReturnType<typeof iam.findPrincipal>>>;

/** A subcommand of `openssm iam` with the storage flags and --account-id. */
export function iamCommand(parent: Command, name: string, description: string): Command {
  return withStorageOptions(parent.command(name).description(description)).option(
    "--account-id <id>",
    "the 12-digit account (default: the server's first account)",
  );
}

/** IAM's refusals that mean the input is wrong (exit 2) rather than the state (exit 1). */
const USAGE_ERRORS = new Set(["ValidationException", "MalformedPolicyDocument", "InvalidInput"]);

/** The shared IAM rules' ApiError as the command's one-line error: `NoSuchEntity: the user ...`. */
export function cliErrorOf(e: unknown): unknown {
  if (!(e instanceof ApiError)) return e;
  const message = e.message.replace(/^The /, "the ");
  return new CliError(`${e.code}: ${message}`, USAGE_ERRORS.has(e.code) ? 2 : 1);
}

/** Applies a shared IAM rule synchronously, reporting its error as the command's own. */
export function cliRule<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw cliErrorOf(e);
  }
}

/** Runs `fn`, reporting the shared IAM rules' errors as the command's own. */
export async function iamRules<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw cliErrorOf(e);
  }
}

/** Wraps a command body: opens storage, runs, prints the result as JSON when there is one. */
export function run<O extends IamFlags>(fn: (s: CliStorage, o: O) => Promise<unknown>): (o: O) => Promise<void> {
  return async (o) => {
    const out = await iamRules(() => withStorage(o, (s) => fn(s, o)));
    if (out !== undefined) printJson(out);
  };
}

export function checkAccountId(id: string): string {
  if (!/^\d{12}$/.test(id)) throw usageError(`--account-id must be 12 digits, got '${id}'`);
  return id;
}

/** The account a command acts in: --account-id (which must exist) or the server's first account. */
export async function accountOf(s: CliStorage, o: IamFlags): Promise<string> {
  if (!o.accountId) return ensureDefaultAccount(s.db, Date.now());
  const id = checkAccountId(o.accountId);
  const accounts = await iam.listAccounts(s.db);
  if (!accounts.some((a) => a.account_id === id)) {
    throw new CliError(`NoSuchEntity: the account ${id} does not exist (create it with: openssm iam create-account --account-id ${id})`);
  }
  return id;
}

/** A user or role name as IAM allows it (the admin API's rule), named by its flag in the message. */
export const checkName = (kind: PrincipalKind, name: string) => cliRule(() => iamAdmin.checkPrincipalName(kind, name, `--${kind}-name`));

/** An IAM path such as /engineering/ (default /). */
export const checkPath = (path: string | undefined) => cliRule(() => iamAdmin.checkIamPath(path, "--path"));

/** The user or role of that name in the command's account, or a NoSuchEntity error (the admin API's rule). */
export async function principalOf(s: CliStorage, o: IamFlags, kind: PrincipalKind, name: string): Promise<PrincipalRow> {
  const accountId = await accountOf(s, o);
  return iamRules(() => iamAdmin.requirePrincipal(s.db, accountId, kind, checkName(kind, name)));
}

export const isoDate = (ms: number | Date) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export const tagList = iamAdmin.tagList;

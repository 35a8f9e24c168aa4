import type { Command } from "commander";
import { ensureDefaultAccount, iam } from "../core.js";
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

/** Wraps a command body: opens storage, runs, prints the result as JSON when there is one. */
export function run<O extends IamFlags>(fn: (s: CliStorage, o: O) => Promise<unknown>): (o: O) => Promise<void> {
  return async (o) => {
    const out = await withStorage(o, (s) => fn(s, o));
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

const NAME = /^[\w+=,.@-]{1,64}$/;

export function checkName(kind: PrincipalKind, name: string): string {
  if (!NAME.test(name)) {
    throw usageError(`--${kind}-name '${name}' is invalid: use 1 to 64 letters, digits or the characters _+=,.@-`);
  }
  return name;
}

export function checkPath(path: string | undefined): string {
  if (path === undefined) return "/";
  if (path.length > 512 || !/^\/([\x21-\x7e]*\/)?$/.test(path)) {
    throw usageError(`--path '${path}' is invalid: it must begin and end with / (for example /engineering/), printable ASCII, at most 512 characters`);
  }
  return path;
}

/** The user or role of that name in the command's account, or a NoSuchEntity error. */
export async function principalOf(s: CliStorage, o: IamFlags, kind: PrincipalKind, name: string): Promise<PrincipalRow> {
  const accountId = await accountOf(s, o);
  const row = await iam.findPrincipal(s.db, accountId, kind, checkName(kind, name));
  if (!row) throw new CliError(`NoSuchEntity: the ${kind} with name ${name} cannot be found in account ${accountId}`);
  return row;
}

export const isoDate = (ms: number | Date) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export const tagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

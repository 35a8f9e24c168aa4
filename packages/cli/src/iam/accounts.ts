import type { Command } from "commander";
import { ensureDefaultAccount, iam, randomAccountId } from "../core.js";
import { CliError, usageError } from "../errors.js";
import { type IamFlags, checkAccountId, iamCommand, isoDate, run } from "./common.js";

interface AccountRow {
  account_id: string;
  name: string;
  created_at: number;
}

const account = (a: AccountRow, defaultId: string) => ({
  Id: a.account_id,
  Name: a.name,
  CreateDate: isoDate(a.created_at),
  Default: a.account_id === defaultId,
});

export function registerAccountCommands(parent: Command): void {
  iamCommand(parent, "create-account", "create an account (its resources and users are separate from every other account's)")
    .option("--name <name>", "a name for people to recognise it")
    .action(
      run<IamFlags & { name?: string }>(async (s, o) => {
        const defaultId = await ensureDefaultAccount(s.db, Date.now());
        const id = o.accountId ? checkAccountId(o.accountId) : randomAccountId();
        const name = o.name ?? `account-${id}`;
        if (name.length < 1 || name.length > 200) throw usageError("--name must have 1 to 200 characters");
        if ((await iam.listAccounts(s.db)).some((a) => a.account_id === id)) {
          throw new CliError(`EntityAlreadyExists: the account ${id} already exists`);
        }
        await iam.ensureAccount(s.db, id, name, Date.now());
        const row = (await iam.listAccounts(s.db)).find((a) => a.account_id === id);
        return { Account: account(row as AccountRow, defaultId) };
      }),
    );

  iamCommand(parent, "list-accounts", "list the accounts").action(
    run(async (s) => {
      const defaultId = await ensureDefaultAccount(s.db, Date.now());
      return { Accounts: (await iam.listAccounts(s.db)).map((a) => account(a, defaultId)) };
    }),
  );
}

import type { Command } from "commander";
import { iam, iamAdmin } from "../core.js";
import {
  type IamFlags,
  type PrincipalKind,
  type PrincipalRow,
  accountOf,
  checkName,
  checkPath,
  iamCommand,
  isoDate,
  principalOf,
  run,
  tagList,
} from "./common.js";
import { parseTags } from "./parse.js";

const Title = { user: "User", role: "Role" } as const;

/** The IAM CLI's User / Role object (the admin API's, with the date as ISO-8601 text). */
export function describePrincipal(_kind: PrincipalKind, p: PrincipalRow, withTags: boolean) {
  const view = iamAdmin.principalView(p, withTags);
  return { ...view, CreateDate: isoDate(view.CreateDate) };
}

type NameFlags = IamFlags & Record<"userName" | "roleName", string>;
const nameOf = (kind: PrincipalKind, o: NameFlags) => (kind === "user" ? o.userName : o.roleName);

/** create-/get-/list-/delete-, tag-/untag- and list-…-tags for users (kind "user") or roles ("role"). */
export function registerPrincipalCommands(parent: Command, kind: PrincipalKind): void {
  const T = Title[kind];
  const nameFlag = `--${kind}-name <name>`;

  iamCommand(parent, `create-${kind}`, `create an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name (unique in its account)`)
    .option("--path <path>", "a path such as /engineering/ (default /)")
    .option("--tags <tag...>", "tags as key=value (SSMSessionRunAs chooses the OS user of sessions)")
    .action(
      run<NameFlags & { path?: string; tags?: string[] }>(async (s, o) => {
        const tags = parseTags(o.tags ?? []);
        const accountId = await accountOf(s, o);
        const name = checkName(kind, nameOf(kind, o));
        const path = checkPath(o.path);
        const row = await iamAdmin.createIamPrincipal(s.db, { accountId, kind, name, path, tags }, Date.now());
        return { [T]: describePrincipal(kind, row, true) };
      }),
    );

  iamCommand(parent, `get-${kind}`, `show an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .action(run<NameFlags>(async (s, o) => ({ [T]: describePrincipal(kind, await principalOf(s, o, kind, nameOf(kind, o)), true) })));

  iamCommand(parent, `list-${kind}s`, `list the IAM ${kind}s of an account`)
    .option("--path-prefix <prefix>", "only those whose path starts with this")
    .action(
      run<IamFlags & { pathPrefix?: string }>(async (s, o) => {
        const accountId = await accountOf(s, o);
        const rows = (await iam.listPrincipals(s.db, accountId)).filter((p) => p.kind === kind && p.path.startsWith(o.pathPrefix ?? "/"));
        return { [`${T}s`]: rows.map((p) => describePrincipal(kind, p, false)) };
      }),
    );

  iamCommand(parent, `delete-${kind}`, `delete an IAM ${kind} with its inline policies${kind === "user" ? " and access keys" : ""}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .action(
      run<NameFlags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(kind, o));
        await iamAdmin.deleteIamPrincipal(s.db, p, { cascade: true });
        return undefined;
      }),
    );

  iamCommand(parent, `tag-${kind}`, `add or replace tags of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--tags <tag...>", "tags as key=value (or Key=key,Value=value)")
    .action(
      run<NameFlags & { tags: string[] }>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(kind, o));
        await iamAdmin.tagIamPrincipal(s.db, p, parseTags(o.tags));
        return undefined;
      }),
    );

  iamCommand(parent, `untag-${kind}`, `remove tags from an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--tag-keys <key...>", "the keys of the tags to remove")
    .action(
      run<NameFlags & { tagKeys: string[] }>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(kind, o));
        await iamAdmin.untagIamPrincipal(s.db, p, o.tagKeys);
        return undefined;
      }),
    );

  iamCommand(parent, `list-${kind}-tags`, `list the tags of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .action(
      run<NameFlags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(kind, o));
        return { Tags: tagList(iamAdmin.principalTags(p)) };
      }),
    );
}

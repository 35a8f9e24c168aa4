import type { Command } from "commander";
import { iam } from "../core.js";
import { CliError } from "../errors.js";
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

/** The IAM CLI's User / Role object. */
export function describePrincipal(kind: PrincipalKind, p: PrincipalRow, withTags: boolean) {
  const tags = JSON.parse(p.tags) as Record<string, string>;
  return {
    Path: p.path,
    [`${Title[kind]}Name`]: p.name,
    [`${Title[kind]}Id`]: p.principal_id,
    Arn: p.arn,
    CreateDate: isoDate(p.created_at),
    ...(withTags && Object.keys(tags).length ? { Tags: tagList(tags) } : {}),
  };
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
        const name = checkName(kind, nameOf(kind, o));
        const path = checkPath(o.path);
        const tags = parseTags(o.tags ?? []);
        const accountId = await accountOf(s, o);
        if (await iam.findPrincipal(s.db, accountId, kind, name)) {
          throw new CliError(`EntityAlreadyExists: a ${kind} with name ${name} already exists in account ${accountId}`);
        }
        await iam.createPrincipal(s.db, { accountId, kind, name, path, tags }, Date.now());
        return { [T]: describePrincipal(kind, await principalOf(s, o, kind, name), true) };
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
        await iam.deletePrincipal(s.db, p.arn);
        return undefined;
      }),
    );

  iamCommand(parent, `tag-${kind}`, `add or replace tags of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--tags <tag...>", "tags as key=value (or Key=key,Value=value)")
    .action(
      run<NameFlags & { tags: string[] }>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(kind, o));
        const tags = { ...(JSON.parse(p.tags) as Record<string, string>), ...parseTags(o.tags) };
        if (Object.keys(tags).length > 50) throw new CliError(`LimitExceeded: an IAM ${kind} may have at most 50 tags`);
        await iam.setPrincipalTags(s.db, p.arn, tags);
        return undefined;
      }),
    );

  iamCommand(parent, `untag-${kind}`, `remove tags from an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--tag-keys <key...>", "the keys of the tags to remove")
    .action(
      run<NameFlags & { tagKeys: string[] }>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(kind, o));
        const tags = JSON.parse(p.tags) as Record<string, string>;
        for (const k of o.tagKeys) delete tags[k];
        await iam.setPrincipalTags(s.db, p.arn, tags);
        return undefined;
      }),
    );

  iamCommand(parent, `list-${kind}-tags`, `list the tags of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .action(
      run<NameFlags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(kind, o));
        return { Tags: tagList(JSON.parse(p.tags) as Record<string, string>) };
      }),
    );
}

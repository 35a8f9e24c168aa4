import type { Command } from "commander";
import { iamAdmin } from "../core.js";
import { type IamFlags, type PrincipalKind, cliRule, iamCommand, principalOf, run } from "./common.js";
import { readPolicyDocument } from "./parse.js";

type Flags = IamFlags & Record<"userName" | "roleName", string> & { policyName: string; policyDocument: string };

/** put-/get-/list-/delete-<kind>-policy: inline policies of a user or role. */
export function registerPolicyCommands(parent: Command, kind: PrincipalKind): void {
  const T = kind === "user" ? "User" : "Role";
  const nameFlag = `--${kind}-name <name>`;
  const nameOf = (o: Flags) => (kind === "user" ? o.userName : o.roleName);

  iamCommand(parent, `put-${kind}-policy`, `add or replace an inline policy of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--policy-name <name>", "the policy's name (replaces a policy of that name)")
    .requiredOption("--policy-document <json>", "the policy as JSON text or file://path")
    .action(
      run<Flags>(async (s, o) => {
        const name = cliRule(() => iamAdmin.checkPolicyName(o.policyName, "--policy-name"));
        const doc = readPolicyDocument(o.policyDocument);
        const p = await principalOf(s, o, kind, nameOf(o));
        await iamAdmin.putInlinePolicy(s.db, p, name, doc, Date.now());
        return undefined;
      }),
    );

  iamCommand(parent, `list-${kind}-policies`, `list the inline policies of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .action(
      run<Flags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(o));
        return { PolicyNames: await iamAdmin.listInlinePolicyNames(s.db, p) };
      }),
    );

  iamCommand(parent, `get-${kind}-policy`, `show an inline policy of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--policy-name <name>", "the policy's name")
    .action(
      run<Flags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(o));
        const policy = await iamAdmin.getInlinePolicy(s.db, p, o.policyName);
        return { [`${T}Name`]: p.name, PolicyName: policy.name, PolicyDocument: policy.document };
      }),
    );

  iamCommand(parent, `delete-${kind}-policy`, `delete an inline policy of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--policy-name <name>", "the policy's name")
    .action(
      run<Flags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(o));
        await iamAdmin.deleteInlinePolicy(s.db, p, o.policyName);
        return undefined;
      }),
    );
}

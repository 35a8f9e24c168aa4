import type { Command } from "commander";
import { iam } from "../core.js";
import { CliError } from "../errors.js";
import { type IamFlags, type PrincipalKind, iamCommand, principalOf, run } from "./common.js";
import { checkPolicyName, readPolicyDocument } from "./parse.js";

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
        const name = checkPolicyName(o.policyName);
        const doc = readPolicyDocument(o.policyDocument);
        const p = await principalOf(s, o, kind, nameOf(o));
        await iam.putPolicy(s.db, p.arn, name, doc, Date.now());
        return undefined;
      }),
    );

  iamCommand(parent, `list-${kind}-policies`, `list the inline policies of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .action(
      run<Flags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(o));
        return { PolicyNames: (await iam.listPolicies(s.db, p.arn)).map((x) => x.name) };
      }),
    );

  iamCommand(parent, `get-${kind}-policy`, `show an inline policy of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--policy-name <name>", "the policy's name")
    .action(
      run<Flags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(o));
        const policy = (await iam.listPolicies(s.db, p.arn)).find((x) => x.name === o.policyName);
        if (!policy) throw new CliError(`NoSuchEntity: the ${kind} ${p.name} has no policy named ${o.policyName}`);
        return { [`${T}Name`]: p.name, PolicyName: policy.name, PolicyDocument: policy.document };
      }),
    );

  iamCommand(parent, `delete-${kind}-policy`, `delete an inline policy of an IAM ${kind}`)
    .requiredOption(nameFlag, `the ${kind}'s name`)
    .requiredOption("--policy-name <name>", "the policy's name")
    .action(
      run<Flags>(async (s, o) => {
        const p = await principalOf(s, o, kind, nameOf(o));
        if ((await iam.deletePolicy(s.db, p.arn, o.policyName)) === 0) {
          throw new CliError(`NoSuchEntity: the ${kind} ${p.name} has no policy named ${o.policyName}`);
        }
        return undefined;
      }),
    );
}

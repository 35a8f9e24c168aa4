import type { Command } from "commander";
import { registerAccessKeyCommands } from "./access-keys.js";
import { registerAccountCommands } from "./accounts.js";
import { registerPolicyCommands } from "./policies.js";
import { registerPrincipalCommands } from "./principals.js";

/**
 * `openssm iam ...`: accounts, users, roles, inline policies and access keys, written straight to
 * the server's storage (works whether or not the server runs). Output is shaped like the AWS IAM CLI's.
 */
export function registerIamCommands(program: Command): void {
  const iam = program
    .command("iam")
    .description("manage accounts, users, roles, policies and access keys (directly in the server's storage)")
    .addHelpText("after", "\nEvery subcommand takes --data-dir / --database-url like `openssm server`, and OPENSSM_MASTER_KEY from the environment.");
  registerAccountCommands(iam);
  registerPrincipalCommands(iam, "user");
  registerPolicyCommands(iam, "user");
  registerAccessKeyCommands(iam);
  registerPrincipalCommands(iam, "role");
  registerPolicyCommands(iam, "role");
}

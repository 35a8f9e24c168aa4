import { Command } from "commander";
import { registerAuditCommand } from "./audit-command.js";
import { registerCommandCommands } from "./command-command.js";
import { CliError } from "./errors.js";
import { registerEventsCommand } from "./events-command.js";
import { registerIamCommands } from "./iam/index.js";
import { registerInventoryCommands } from "./inventory-command.js";
import { registerOperationsCommands } from "./operations-command.js";
import { registerSessionCommands } from "./session/index.js";

const program = new Command();
program.name("openssm").description("openssm: a self-hosted AWS Systems Manager").version("0.1.0");
// Usage errors (unknown flags, missing options) exit with 2; help and --version with 0.
program.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));

// `server` loads the whole server; the other commands only open storage, so they start faster without it.
const command = process.argv.slice(2).find((a) => !a.startsWith("-"));
if (command === undefined || command === "server" || command === "help") {
  const { registerServerCommand } = await import("./server-command.js");
  registerServerCommand(program);
}
registerIamCommands(program);
registerAuditCommand(program);
registerEventsCommand(program);
registerSessionCommands(program);
registerCommandCommands(program);
registerInventoryCommands(program);
registerOperationsCommands(program);

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`openssm: ${e.message}\n`);
  process.exit(e instanceof CliError ? e.exitCode : 1);
});

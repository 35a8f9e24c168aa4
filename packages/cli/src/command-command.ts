import type { Command } from "commander";
import { type ApiFlags, withApiOptions } from "./api-options.js";

/** `openssm command ...`: Run Command from a terminal, beside what the aws CLI gives. */
export function registerCommandCommands(program: Command): void {
  const command = program.command("command").description("Run Command: the whole output of a command invocation");
  withApiOptions(
    command
      .command("output")
      .description("print the whole stdout (or --stderr) of a command on a node: the StandardOutputUrl, fetched with a SigV4-signed GET"),
  )
    .requiredOption("--command-id <id>", "the command (SendCommand's CommandId)")
    .requiredOption("--instance-id <id>", "the managed node (mi-...)")
    .option("--plugin-name <name>", "the step (default: the invocation's first, as GetCommandInvocation)")
    .option("--stderr", "the standard error instead of the standard output")
    .action(async (o: ApiFlags & { commandId: string; instanceId: string; pluginName?: string; stderr?: boolean }) =>
      (await import("./command-output.js")).commandOutput(o),
    );
}

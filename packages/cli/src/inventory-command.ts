import type { Command } from "commander";
import { type ApiFlags, withApiOptions } from "./api-options.js";

/** `openssm inventory ...`: fleet-wide answers from Inventory as tables. */
export function registerInventoryCommands(program: Command): void {
  const inventory = program.command("inventory").description("Inventory: fleet-wide answers about what the nodes have, as tables");
  withApiOptions(
    inventory
      .command("query")
      .description(
        "which nodes have a package (--package, optionally --below or --at-least a version), or how many nodes have each value of an attribute (--count-by)",
      ),
  )
    .option("--package <name>", "an application name (AWS:Application.Name); prints every node that has it, with its version")
    .option("--below <version>", "with --package: only nodes whose version is lower (versions compare number by number: 1.1.1f < 3.0.2)")
    .option("--at-least <version>", "with --package: only nodes whose version is this one or higher")
    .option("--count-by <expression>", "an attribute to count nodes by, such as AWS:InstanceInformation.PlatformName (the default without --package)")
    .option("--type <type>", "with --package: the inventory type holding it (default AWS:Application)", "AWS:Application")
    .action(async (o: ApiFlags & { package?: string; below?: string; atLeast?: string; countBy?: string; type: string }) =>
      (await import("./inventory-query.js")).inventoryQuery(o),
    );
}

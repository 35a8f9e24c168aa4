import { onNodeDeregistered, registerDeliveryHandler } from "../../agents/index.js";
import type { Capability, ServerSlot, Services } from "../../runtime.js";
import { cancelCommandDelivery, sendCommandDelivery } from "./agent-replies.js";
import { cancelCommand } from "./cancel-command.js";
import { moveInvocation } from "./invocations.js";
import { getCommandInvocation, listCommandInvocations, listCommands } from "./list-operations.js";
import { registerOutputRoute } from "./output-route.js";
import { advanceCommand, settleRollouts } from "./rollout.js";
import { sendCommand } from "./send-command.js";
import { commandDb, commandMigrations } from "./tables.js";
import { runCommandTimeouts } from "./timeouts.js";

/** Invocations of a node that was just deregistered can never be delivered: Undeliverable. */
async function nodeGone(services: Services, instanceId: string): Promise<void> {
  const open = await commandDb(services.db)
    .selectFrom("commands_invocations")
    .select(["command_id"])
    .where("instance_id", "=", instanceId)
    .where("terminal", "=", 0)
    .execute();
  const now = services.clock.now();
  for (const { command_id } of open) {
    if (
      await moveInvocation(services, command_id, instanceId, "Undeliverable", now, { set: { trace_output: `Managed node ${instanceId} was deregistered.` } })
    ) {
      await advanceCommand(services, command_id);
    }
  }
}

/** What start() subscribed to in this server, undone at stop. */
const SUBSCRIPTIONS: ServerSlot<(() => void)[]> = { name: "commands.subscriptions", create: () => [] };

/**
 * Run Command: SendCommand with rate control, the command and invocation status model, cancellation,
 * delivery and execution timeouts, and whole output kept and served.
 */
export const commandsCapability: Capability = {
  name: "commands",
  migrations: commandMigrations,
  operations: [sendCommand, listCommands, listCommandInvocations, getCommandInvocation, cancelCommand],
  start(services) {
    registerDeliveryHandler(services, sendCommandDelivery);
    registerDeliveryHandler(services, cancelCommandDelivery);
    services.scheduler.register({ name: "commands-timeouts", run: (now) => runCommandTimeouts(services, now) });
    services.own(SUBSCRIPTIONS).push(
      onNodeDeregistered(services, (_scope, instanceId) => {
        nodeGone(services, instanceId).catch((err) => services.log.error({ err, instanceId }, "ending a deregistered node's invocations failed"));
      }),
    );
  },
  async stop(services) {
    for (const unsubscribe of services.own(SUBSCRIPTIONS).splice(0)) unsubscribe();
    await settleRollouts(services);
  },
  http(app, deps) {
    registerOutputRoute(app, deps);
  },
};

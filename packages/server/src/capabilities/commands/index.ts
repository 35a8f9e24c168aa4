import { onNodeDeregistered, registerDeliveryHandler } from "../../agents/index.js";
import type { SendCommandRequest, SendCommandResult } from "@aws-sdk/client-ssm";
import { ANY_RESOURCE, type Capability, type RequestContext, type ServerSlot, type Services } from "../../runtime.js";
import { cancelCommandDelivery, sendCommandDelivery } from "./agent-replies.js";
import { cancelCommand } from "./ops-cancel.js";
import { moveInvocation } from "./invocations.js";
import { getCommandInvocation, listCommandInvocations, listCommands } from "./ops-list.js";
import { registerOutputRoute } from "./output-route.js";
import { sealStoredPlaintext } from "./output-store.js";
import { advanceCommand, settleRollouts } from "./rollout.js";
import { sendCommand } from "./ops-send.js";
import { getCommand } from "./store.js";
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

/** Whether this server found no plaintext output left from before output was sealed (none is written any more). */
const PLAINTEXT_SEALED: ServerSlot<{ done: boolean }> = { name: "commands.plaintext-sealed", create: () => ({ done: false }) };

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
    services.scheduler.register({
      name: "commands-seal-output",
      async run() {
        const state = services.own(PLAINTEXT_SEALED);
        if (!state.done) state.done = await sealStoredPlaintext(services);
      },
    });
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

/**
 * SendCommand on behalf of another capability (maintenance window tasks), as `ctx`'s principal: the
 * same authorization (ssm:SendCommand on the document and every node) and handler as the API call.
 */
export async function sendCommandAs(ctx: RequestContext, input: SendCommandRequest): Promise<SendCommandResult> {
  const declared = await sendCommand.resources?.(ctx, input);
  if (!declared || Array.isArray(declared)) throw new Error("SendCommand declares its resources with what it prepared");
  await ctx.authorize("ssm:SendCommand", declared.resources, declared.context);
  return sendCommand.handle(ctx, input, declared.prepared);
}

/** CancelCommand on behalf of another capability, as `ctx`'s principal. */
export async function cancelCommandAs(ctx: RequestContext, commandId: string): Promise<void> {
  await ctx.authorize("ssm:CancelCommand", ANY_RESOURCE());
  await cancelCommand.handle(ctx, { CommandId: commandId }, undefined);
}

/** A command's status as ListCommands shows it, or undefined when it is not there. */
export async function commandStatus(services: Services, commandId: string): Promise<{ status: string; statusDetails: string; finished: boolean } | undefined> {
  const row = await getCommand(services.db, commandId);
  return row ? { status: row.status, statusDetails: row.status_details, finished: row.finished_at !== null } : undefined;
}
export { concurrencyLimit, errorLimit } from "./rate-control.js";
export { EXECUTION_GRACE_MS } from "./agent-replies.js";
export { executionTimeoutSeconds } from "./document-payload.js";

import type { CancelCommandRequest, CancelCommandResult } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { cancelInvocation } from "./cancellation.js";
import { checkCommandId } from "./listing.js";
import { advanceCommand } from "./rollout.js";
import { getScopedCommand, listInvocationsOf } from "./store.js";
import { commandDb } from "./tables.js";

/**
 * CancelCommand: for the whole command (no InstanceIds) nothing more starts and every open invocation
 * is cancelled; with InstanceIds only those. Invocations never handed to their node are Canceled at
 * once; the others are Cancelling until the agent confirms (aws.ssm.cancelCommand).
 */
export const cancelCommand = op<CancelCommandRequest, CancelCommandResult>({
  service: "ssm",
  name: "CancelCommand",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    checkCommandId(input.CommandId);
    const cmd = await getScopedCommand(ctx.services.db, ctx, String(input.CommandId));
    if (!cmd) throw new ApiError("InvalidCommandId", `Command ${input.CommandId} does not exist in ${ctx.region}; check the id (ListCommands).`);
    const invocations = await listInvocationsOf(ctx.services.db, cmd.command_id);
    let targets = invocations;
    if (input.InstanceIds?.length) {
      const ids = input.InstanceIds;
      const dup = ids.find((id, i) => ids.indexOf(id) !== i);
      if (dup) throw new ApiError("DuplicateInstanceId", `${dup} appears more than once in InstanceIds; name each node once.`);
      const known = new Set(invocations.map((i) => i.instance_id));
      const unknown = ids.filter((id) => !known.has(id));
      if (unknown.length) throw new ApiError("InvalidInstanceId", `Command ${cmd.command_id} does not run on ${unknown.join(", ")}.`);
      targets = invocations.filter((i) => ids.includes(i.instance_id));
    } else if (cmd.finished_at === null) {
      await commandDb(ctx.services.db).updateTable("commands_commands").set({ cancel_requested: 1 }).where("command_id", "=", cmd.command_id).execute();
    }
    const now = ctx.now().getTime();
    for (const inv of targets) await cancelInvocation(ctx.services, inv, now);
    await advanceCommand(ctx.services, cmd.command_id);
    return {};
  },
});

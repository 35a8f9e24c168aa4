import type { AnyDb } from "../../storage/database.js";
import { type CommandRow, commandDb, type InvocationRow, type PluginRow } from "./tables.js";

export function getCommand(db: AnyDb, commandId: string): Promise<CommandRow | undefined> {
  return commandDb(db).selectFrom("commands_commands").selectAll().where("command_id", "=", commandId).executeTakeFirst();
}

/** The command when it belongs to this account and region. */
export async function getScopedCommand(db: AnyDb, scope: { accountId: string; region: string }, commandId: string): Promise<CommandRow | undefined> {
  const row = await getCommand(db, commandId);
  return row && row.account_id === scope.accountId && row.region === scope.region ? row : undefined;
}

export function getInvocation(db: AnyDb, commandId: string, instanceId: string): Promise<InvocationRow | undefined> {
  return commandDb(db)
    .selectFrom("commands_invocations")
    .selectAll()
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .executeTakeFirst();
}

export function listInvocationsOf(db: AnyDb, commandId: string): Promise<InvocationRow[]> {
  return commandDb(db).selectFrom("commands_invocations").selectAll().where("command_id", "=", commandId).orderBy("seq").execute();
}

/** The columns rate control and status counting need, for every invocation of a command (cheap for 1,000s). */
export type InvocationState = Pick<InvocationRow, "command_id" | "instance_id" | "dispatched" | "terminal" | "status_details" | "delivery_deadline">;

export function listInvocationStates(db: AnyDb, commandId: string): Promise<InvocationState[]> {
  return commandDb(db)
    .selectFrom("commands_invocations")
    .select(["command_id", "instance_id", "dispatched", "terminal", "status_details", "delivery_deadline"])
    .where("command_id", "=", commandId)
    .orderBy("seq")
    .execute();
}

export function listPlugins(db: AnyDb, commandId: string, instanceId: string): Promise<PluginRow[]> {
  return commandDb(db)
    .selectFrom("commands_plugins")
    .selectAll()
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .orderBy("seq")
    .orderBy("name")
    .execute();
}

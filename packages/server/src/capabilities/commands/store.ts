import { compiledOnce } from "../../storage/compiled-once.js";
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

const selectInvocation = compiledOnce<[string, string], InvocationRow>((db, commandId, instanceId) =>
  commandDb(db).selectFrom("commands_invocations").selectAll().where("command_id", "=", commandId).where("instance_id", "=", instanceId),
);

export async function getInvocation(db: AnyDb, commandId: string, instanceId: string): Promise<InvocationRow | undefined> {
  return (await selectInvocation(db, commandId, instanceId)).rows[0];
}

export function listInvocationsOf(db: AnyDb, commandId: string): Promise<InvocationRow[]> {
  return commandDb(db).selectFrom("commands_invocations").selectAll().where("command_id", "=", commandId).orderBy("seq").execute();
}

/** The columns rate control needs to hand an invocation to delivery. */
export type InvocationState = Pick<InvocationRow, "command_id" | "instance_id" | "dispatched" | "terminal" | "status_details" | "delivery_deadline">;

/** Invocations not handed to delivery yet, oldest first (`limit` of them when given). */
export function listNotStarted(db: AnyDb, commandId: string, limit?: number): Promise<InvocationState[]> {
  let q = commandDb(db)
    .selectFrom("commands_invocations")
    .select(["command_id", "instance_id", "dispatched", "terminal", "status_details", "delivery_deadline"])
    .where("command_id", "=", commandId)
    .where("dispatched", "=", 0)
    .where("terminal", "=", 0)
    .orderBy("seq");
  if (limit !== undefined) q = q.limit(limit);
  return q.execute();
}

/** How many of a command's invocations are in each (StatusDetails, dispatched, terminal) state: counted by the database. */
export interface InvocationTally {
  status_details: string;
  dispatched: number;
  terminal: number;
  n: number;
}

export async function tallyInvocations(db: AnyDb, commandId: string): Promise<InvocationTally[]> {
  const rows = await commandDb(db)
    .selectFrom("commands_invocations")
    .select((eb) => ["status_details", "dispatched", "terminal", eb.fn.countAll<number | string>().as("n")])
    .where("command_id", "=", commandId)
    .groupBy(["status_details", "dispatched", "terminal"])
    .execute();
  return rows.map((r) => ({ status_details: r.status_details, dispatched: Number(r.dispatched), terminal: Number(r.terminal), n: Number(r.n) }));
}

export async function listInvocationNodes(db: AnyDb, commandId: string): Promise<string[]> {
  const rows = await commandDb(db).selectFrom("commands_invocations").select("instance_id").where("command_id", "=", commandId).orderBy("seq").execute();
  return rows.map((r) => r.instance_id);
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

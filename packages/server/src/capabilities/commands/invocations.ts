import { compiledOnce } from "../../storage/compiled-once.js";
import type { Services } from "../../runtime.js";
import { publishInvocationStatus } from "./events.js";
import { type InvocationDetails, invocationStatus, isInvocationDetails, isTerminal } from "./statuses.js";
import { commandFacts } from "./command-facts.js";
import { getInvocation } from "./store.js";
import { commandDb, type InvocationRow } from "./tables.js";

export interface TransitionOptions {
  /** Only from these StatusDetails (for example Pending/Delayed → InProgress). */
  from?: string[];
  /** Other columns to set with the status. */
  set?: Partial<InvocationRow>;
  /**
   * The invocation as the caller last knew it (read, or as its own writes left it): the first attempt
   * compares against it instead of reading; should it be out of date, the compare-and-set fails and
   * the row is read.
   */
  row?: InvocationRow;
}

/**
 * Moves an invocation to a StatusDetails unless its status is final already (final statuses are
 * sticky: a late InProgress after Success changes nothing). Compare-and-set, so concurrent replies
 * and replicas agree; publishes the invocation status-change event when Status changed. Returns
 * whether it moved.
 */
export async function moveInvocation(
  services: Services,
  commandId: string,
  instanceId: string,
  details: InvocationDetails,
  now: number,
  opts: TransitionOptions = {},
): Promise<boolean> {
  const d = commandDb(services.db);
  if (opts.from && !opts.row && changesStatusFromAll(opts.from, details)) return moveFrom(services, commandId, instanceId, details, now, opts.from, opts.set);
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = attempt === 0 && opts.row ? opts.row : await getInvocation(services.db, commandId, instanceId);
    if (!row || row.terminal === 1) return false;
    if (opts.from && !opts.from.includes(row.status_details)) return false;
    if (row.status_details === details) {
      if (opts.set && Object.keys(opts.set).length) {
        await d
          .updateTable("commands_invocations")
          .set(opts.set)
          .where("command_id", "=", commandId)
          .where("instance_id", "=", instanceId)
          .where("terminal", "=", 0)
          .execute();
      }
      return false;
    }
    const next = invocationStatus(details);
    const terminal = isTerminal(details);
    const r = await d
      .updateTable("commands_invocations")
      .set({
        ...opts.set,
        status: next.status,
        status_details: details,
        terminal: terminal ? 1 : 0,
        finished_at: terminal ? now : null,
        updated_at: now,
      })
      .where("command_id", "=", commandId)
      .where("instance_id", "=", instanceId)
      .where("terminal", "=", 0)
      .where("status_details", "=", row.status_details)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) continue;
    if (terminal) await closePlugins(services, commandId, instanceId, details);
    if (next.status !== row.status) {
      const cmd = await commandFacts(services, commandId);
      if (cmd) await publishInvocationStatus(services, cmd, instanceId, next.status, now);
    }
    return true;
  }
  return false;
}

/**
 * A move to an open StatusDetails from one of `from`: one conditional update, no read (the delivery of a
 * job to its node, thousands at a time). Publishes the status-change event when Status changes.
 */
async function moveFrom(
  services: Services,
  commandId: string,
  instanceId: string,
  details: InvocationDetails,
  now: number,
  from: string[],
  set: Partial<InvocationRow> | undefined,
): Promise<boolean> {
  const next = invocationStatus(details);
  const columns = (Object.keys(set ?? {}) as (keyof InvocationRow)[]).filter((c) => set?.[c] !== undefined);
  const values = columns.map((c) => (set as InvocationRow)[c]);
  const r = await moveFromStatement(columns, from.length)(services.db, ...values, next.status, details, now, commandId, instanceId, ...from);
  if (Number(r.numAffectedRows) !== 1) return false;
  const cmd = await commandFacts(services, commandId);
  if (cmd) await publishInvocationStatus(services, cmd, instanceId, next.status, now);
  return true;
}

/** moveFrom's statement for the columns it sets and the number of states it moves from, compiled once each. */
const moveFromStatements = new Map<string, ReturnType<typeof compiledOnce<unknown[], never>>>();

function moveFromStatement(columns: (keyof InvocationRow)[], fromCount: number) {
  const shape = `${columns.join(",")}|${fromCount}`;
  let statement = moveFromStatements.get(shape);
  if (!statement) {
    statement = compiledOnce<unknown[], never>(
      (db, ...slots) => {
        const set = Object.fromEntries(columns.map((c, i) => [c, slots[i]]));
        const [status, details, now, commandId, instanceId, ...from] = slots.slice(columns.length);
        return commandDb(db)
          .updateTable("commands_invocations")
          .set({ ...set, status, status_details: details, terminal: 0, finished_at: null, updated_at: now })
          .where("command_id", "=", commandId)
          .where("instance_id", "=", instanceId)
          .where("terminal", "=", 0)
          .where("status_details", "in", from);
      },
      columns.length + 5 + fromCount,
    );
    moveFromStatements.set(shape, statement);
  }
  return statement;
}

/** Whether moving from any of `from` to `details` (an open StatusDetails) changes Status: then no read is needed to know. */
function changesStatusFromAll(from: string[], details: InvocationDetails): boolean {
  if (isTerminal(details)) return false;
  const status = invocationStatus(details).status;
  return from.every((f) => isInvocationDetails(f) && invocationStatus(f).status !== status);
}

/** Plugins the agent never reported when the invocation ends take its final status. */
async function closePlugins(services: Services, commandId: string, instanceId: string, details: InvocationDetails): Promise<void> {
  const pair = details === "Success" ? { status: "Success", details: "Skipped" } : invocationStatus(details);
  const status = pair.status === "Cancelling" || pair.status === "Delayed" ? "Failed" : pair.status;
  await closeOpenPlugins(services.db, status, pair.details, commandId, instanceId);
}

const closeOpenPlugins = compiledOnce<[string, string, string, string], never>((db, status, details, commandId, instanceId) =>
  commandDb(db)
    .updateTable("commands_plugins")
    .set({ status, status_details: details, terminal: 1 })
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .where("terminal", "=", 0),
);

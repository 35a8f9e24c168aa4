import type { ServerSlot, Services } from "../../runtime.js";
import { getCommand } from "./store.js";
import type { CommandRow } from "./tables.js";

/** The columns of a command that change while it runs; everything else is fixed by SendCommand. */
type Progress =
  | "status"
  | "status_details"
  | "target_count"
  | "completed_count"
  | "error_count"
  | "delivery_timed_out_count"
  | "cancel_requested"
  | "finished_at";

/** What SendCommand fixed for good: document, parameters, timeouts, notification settings. */
export type CommandFacts = Omit<CommandRow, Progress>;

/** How many commands' facts a server keeps (the ones running now are the ones asked for). */
const KEEP = 2000;

interface Memory {
  facts: Map<string, CommandFacts>;
  /** Commands seen past Pending: a command never goes back to Pending, so replies need not read it again to know. */
  pastPending: Set<string>;
}

const MEMORY: ServerSlot<Memory> = { name: "commands.facts", create: () => ({ facts: new Map(), pastPending: new Set() }) };

function remember<K, V>(m: Map<K, V> | Set<K>, key: K, value?: V): void {
  if (m.size >= KEEP) {
    const oldest = m.keys().next().value as K;
    m.delete(oldest);
  }
  if (m instanceof Map) m.set(key, value as V);
  else m.add(key);
}

/**
 * A command's fixed facts, read from storage once per server and then kept (they cannot change,
 * so every replica may keep its own copy). Replies from thousands of nodes about one command read
 * it once instead of once each.
 */
export async function commandFacts(services: Services, commandId: string): Promise<CommandFacts | undefined> {
  const memory = services.own(MEMORY);
  const known = memory.facts.get(commandId);
  if (known) return known;
  const row = await getCommand(services.db, commandId);
  if (row) remember(memory.facts, commandId, row as CommandFacts);
  return row;
}

/** Whether this server already saw the command past Pending. */
export function knownPastPending(services: Services, commandId: string): boolean {
  return services.own(MEMORY).pastPending.has(commandId);
}

export function notePastPending(services: Services, commandId: string): void {
  const memory = services.own(MEMORY);
  if (!memory.pastPending.has(commandId)) remember(memory.pastPending, commandId);
}

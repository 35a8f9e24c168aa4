import { randomUUID } from "node:crypto";
import type { ServerSlot } from "../../runtime.js";

/** This server's executor: its lease-holder id and the executions it is advancing right now. */
export interface EngineState {
  owner: string;
  running: Map<string, Promise<void>>;
  /** Executions kicked while they were running here: run them once more when the current run ends. */
  again: Set<string>;
  stopped: boolean;
}

export const ENGINE: ServerSlot<EngineState> = {
  name: "automation.engine",
  create: () => ({ owner: randomUUID(), running: new Map(), again: new Set(), stopped: false }),
};

/** How long a replica holds an execution without renewing (wall time). */
export const LEASE_MS = 10_000;

/** Markers in automation_executions.next_step besides step names. */
export const END = "$end";
export const FAIL = "$fail";
export const WAIT = "$wait";

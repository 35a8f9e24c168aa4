import type { EventInput } from "../../../events/bus.js";
import type { Services } from "../../../runtime.js";
import type { Scope } from "../../../storage/scope.js";
import type { ExecutionIdentity } from "../identity.js";
import type { RunbookStep } from "../runbook.js";
import type { ExecutionRow, StepRow } from "../tables.js";

/** What an action gets each time the executor runs (or polls) its step. */
export interface ActionRun {
  services: Services;
  exec: ExecutionRow;
  step: StepRow;
  def: RunbookStep;
  /** The step's inputs with every reference resolved ({{ssm-secure:}} too: never store these). */
  inputs: Record<string, unknown>;
  /** What the action saved the last time it waited (undefined on its first run). */
  state: any;
  identity: ExecutionIdentity;
  scope: Scope;
  now: number;
  /** Calls an openssm API as the execution's identity (audited with the execution id). */
  call(service: string, api: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** Advances another execution soon (a child execution this step started). */
  kick(executionId: string): void;
}

export type ActionResult =
  | {
      kind: "success";
      /** The action's own outputs (CommandId, ExecutionId, ...), typed. */
      outputs?: Record<string, unknown>;
      /** What declared outputs select from (JSONPath), and what the step shows as its Response. */
      response?: unknown;
      /** aws:branch: the step chosen. */
      nextStep?: string;
      /** aws:updateVariable: variables to set. */
      variables?: Record<string, unknown>;
    }
  | {
      kind: "failed";
      message: string;
      status?: "Failed" | "TimedOut" | "Cancelled";
      failureType?: string;
      outputs?: Record<string, unknown>;
      response?: unknown;
    }
  | {
      kind: "wait";
      /** Saved with the step; handed back on the next run. */
      state: unknown;
      /** When to run again (server clock); null: only a signal or the step's timeout wakes it. */
      wakeAt: number | null;
      /** Waiting: the step waits for a person (approval, pause); InProgress otherwise. */
      status?: "InProgress" | "Waiting";
      /** Events published in the transaction that saves the wait (so they go out once, with it). */
      events?: EventInput[];
    };

export interface Action {
  run(r: ActionRun): Promise<ActionResult>;
  /** Stops what the step started (a command, a child execution), when the execution is cancelled or the step times out. */
  cancel?(r: ActionRun): Promise<void>;
}

/** An ISO 8601 duration (PT10S, PT1H30M, P1D) in milliseconds; undefined when it is not one. */
export function isoDurationMs(text: string): number | undefined {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text.trim());
  if (!m || text.trim() === "P" || text.trim() === "PT") return undefined;
  const [d, h, min, s] = [m[1], m[2], m[3], m[4]].map((x) => (x ? Number(x) : 0));
  return Math.round(((d * 24 + h) * 60 + min) * 60_000 + s * 1000);
}

export const str = (v: unknown): string =>
  typeof v === "string" ? v : v === undefined || v === null ? "" : typeof v === "object" ? JSON.stringify(v) : String(v);

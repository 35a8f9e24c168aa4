/**
 * MaxConcurrency and MaxErrors: an absolute number ("10") or a percentage of the targets ("10%").
 * Defaults: 50 and 0, as on AWS.
 */
export const DEFAULT_MAX_CONCURRENCY = "50";
export const DEFAULT_MAX_ERRORS = "0";

function parse(value: string, name: string): { n: number; percent: boolean } {
  const m = /^(\d+)(%?)$/.exec(value.trim());
  if (!m) throw new Error(`${name} must be a number like 10 or a percentage like 10%, got '${value}'`);
  return { n: Number(m[1]), percent: m[2] === "%" };
}

/** How many invocations may run at once (at least 1). */
export function concurrencyLimit(maxConcurrency: string, targetCount: number): number {
  const { n, percent } = parse(maxConcurrency, "MaxConcurrency");
  const limit = percent ? Math.floor((targetCount * n) / 100) : n;
  return Math.max(1, limit);
}

/** How many errors are tolerated; one more stops the rollout. */
export function errorLimit(maxErrors: string, targetCount: number): number {
  const { n, percent } = parse(maxErrors, "MaxErrors");
  return percent ? Math.floor((targetCount * n) / 100) : n;
}

export interface RolloutState {
  /** Invocations not yet handed to delivery and not ended. */
  notStarted: number;
  /** Invocations handed to delivery and not ended. */
  inFlight: number;
  errors: number;
  cancelRequested: boolean;
}

export type RolloutStep = { start: number } | { stop: "Terminated" | "Canceled" };

/**
 * The next step of a rollout: start as many invocations as concurrency allows, or stop the ones not
 * started yet — Canceled after CancelCommand, Terminated once errors passed MaxErrors.
 */
export function nextRolloutStep(state: RolloutState, concurrency: number, maxErrors: number): RolloutStep {
  if (state.notStarted === 0) return { start: 0 };
  if (state.cancelRequested) return { stop: "Canceled" };
  if (state.errors > maxErrors) return { stop: "Terminated" };
  return { start: Math.max(0, Math.min(state.notStarted, concurrency - state.inFlight)) };
}

import { type Action, isoDurationMs, str } from "./types.js";

/** aws:sleep: waits for Duration (ISO 8601, PT10S) or until Timestamp; the scheduler wakes the step. */
export const sleepAction: Action = {
  async run(r) {
    if (r.state?.until !== undefined) {
      return r.now >= r.state.until ? { kind: "success" } : { kind: "wait", state: r.state, wakeAt: r.state.until };
    }
    let until: number;
    if (r.inputs.Duration !== undefined) {
      const ms = isoDurationMs(str(r.inputs.Duration));
      if (ms === undefined) return { kind: "failed", message: `Duration '${str(r.inputs.Duration)}' is not an ISO 8601 duration such as PT10S or PT1H.` };
      until = r.now + ms;
    } else {
      until = Date.parse(str(r.inputs.Timestamp));
      if (!Number.isFinite(until))
        return { kind: "failed", message: `Timestamp '${str(r.inputs.Timestamp)}' is not an ISO 8601 time such as 2026-01-31T10:00:00Z.` };
    }
    return r.now >= until ? { kind: "success" } : { kind: "wait", state: { until }, wakeAt: until };
  },
};

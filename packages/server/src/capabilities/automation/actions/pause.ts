import type { Action } from "./types.js";

/** aws:pause: waits, as long as it must, for SendAutomationSignal Resume naming the step. */
export const pauseAction: Action = {
  async run(r) {
    if (r.state?.resumed) return { kind: "success" };
    return { kind: "wait", state: { paused: true }, wakeAt: null, status: "Waiting" };
  },
};

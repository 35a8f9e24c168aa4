import { ApiError } from "../../../http/errors.js";
import { isError, isTerminal } from "../statuses.js";
import { getExecution } from "../store.js";
import { type Action, str } from "./types.js";

/** How a child execution is started: set by the executor (it owns StartAutomationExecution's logic). */
export type ChildStarter = (
  r: Parameters<Action["run"]>[0],
  request: {
    documentName: string;
    documentVersion?: string;
    parameters: Record<string, string[]>;
    targets?: unknown;
    targetParameterName?: string;
    maxConcurrency?: string;
    maxErrors?: string;
  },
) => Promise<string>;

let starter: ChildStarter | undefined;
export function setChildStarter(fn: ChildStarter): void {
  starter = fn;
}

const POLL_MS = 5000;

function parameterMap(v: unknown): Record<string, string[]> {
  if (v === undefined || v === null || typeof v !== "object" || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, Array.isArray(val) ? val.map(str) : [str(val)]]));
}

/**
 * aws:executeAutomation: starts a child execution (ParentAutomationExecutionId names this one) as the
 * same identity and waits for it; outputs ExecutionId, Status and Output (the child's outputs).
 */
export const executeAutomationAction: Action = {
  async run(r) {
    let childId: string | undefined = r.state?.childId;
    if (!childId) {
      if (!starter) throw new Error("automation: no child starter");
      try {
        childId = await starter(r, {
          documentName: str(r.inputs.DocumentName),
          documentVersion: r.inputs.DocumentVersion === undefined ? undefined : str(r.inputs.DocumentVersion),
          parameters: parameterMap(r.inputs.RuntimeParameters),
          targets: r.inputs.Targets,
          targetParameterName: r.inputs.TargetParameterName === undefined ? undefined : str(r.inputs.TargetParameterName),
          maxConcurrency: r.inputs.MaxConcurrency === undefined ? undefined : str(r.inputs.MaxConcurrency),
          maxErrors: r.inputs.MaxErrors === undefined ? undefined : str(r.inputs.MaxErrors),
        });
      } catch (e) {
        if (e instanceof ApiError) return { kind: "failed", message: `Starting ${str(r.inputs.DocumentName)} failed: ${e.code}: ${e.message}` };
        throw e;
      }
      return { kind: "wait", state: { childId }, wakeAt: r.now + POLL_MS };
    }
    const child = await getExecution(r.services.db, childId);
    if (!child) return { kind: "failed", message: `The child execution ${childId} is gone.` };
    if (!isTerminal(child.status)) return { kind: "wait", state: { childId }, wakeAt: r.now + POLL_MS };
    const outputs = { ExecutionId: childId, Status: child.status, Output: child.outputs };
    if (child.status === "Success")
      return { kind: "success", outputs, response: { ExecutionId: childId, Status: child.status, Outputs: JSON.parse(child.outputs) } };
    return {
      kind: "failed",
      message: `The child execution ${childId} ended ${child.status}${child.failure_message ? `: ${child.failure_message}` : ""}`,
      status: isError(child.status) ? (child.status === "TimedOut" ? "TimedOut" : "Failed") : "Cancelled",
      outputs,
    };
  },
  async cancel(r) {
    if (r.state?.childId) await r.call("ssm", "StopAutomationExecution", { AutomationExecutionId: r.state.childId, Type: "Cancel" }).catch(() => undefined);
  },
};

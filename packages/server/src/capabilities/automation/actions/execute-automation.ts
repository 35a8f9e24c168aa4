import { redactInput, ssmModel } from "@openssm/model";
import { ApiError } from "../../../errors.js";
import { executionContext } from "../internal-call.js";
import { createExecution, type StartRequest } from "../start.js";
import { isError, isTerminal } from "../statuses.js";
import { childOfStep, getExecution } from "../store.js";
import { type Action, type ActionRun, str } from "./types.js";

const POLL_MS = 5000;

function parameterMap(v: unknown): Record<string, string[]> {
  if (v === undefined || v === null || typeof v !== "object" || Array.isArray(v)) return {};
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, val]) => [k, Array.isArray(val) ? val.map(str) : [str(val)]]));
}

/**
 * Starts the child as the execution's identity, as StartAutomationExecution would (authorized, PassRole
 * checked), and records the call in the audit trail with source `automation:<execution id>`.
 */
async function startChild(r: ActionRun): Promise<string> {
  const ctx = executionContext(r.services, r.identity, "StartAutomationExecution", { executionId: r.exec.execution_id, scope: r.scope });
  const optional = (v: unknown) => (v === undefined ? undefined : str(v));
  const request = {
    documentName: str(r.inputs.DocumentName),
    documentVersion: optional(r.inputs.DocumentVersion),
    parameters: parameterMap(r.inputs.RuntimeParameters),
    targets: r.inputs.Targets as StartRequest["targets"],
    targetParameterName: optional(r.inputs.TargetParameterName),
    maxConcurrency: optional(r.inputs.MaxConcurrency),
    maxErrors: optional(r.inputs.MaxErrors),
    parentExecutionId: r.exec.execution_id,
    parentStepExecutionId: r.step.step_execution_id,
  };
  const started = performance.now();
  let error: ApiError | Error | undefined;
  try {
    return await createExecution(ctx, request);
  } catch (e) {
    error = e as Error;
    throw e;
  } finally {
    r.services.audit.record({
      time: r.services.clock.now(),
      requestId: ctx.requestId,
      accountId: r.scope.accountId,
      region: r.scope.region,
      principalArn: r.identity.auditArn,
      accessKeyId: null,
      sourceIp: ctx.sourceIp,
      service: "ssm",
      operation: "StartAutomationExecution",
      parameters: redactInput(ssmModel, "StartAutomationExecution", {
        DocumentName: request.documentName,
        DocumentVersion: request.documentVersion,
        Parameters: request.parameters,
        TargetParameterName: request.targetParameterName,
        MaxConcurrency: request.maxConcurrency,
        MaxErrors: request.maxErrors,
      }),
      errorCode: error ? (error instanceof ApiError ? error.code : "InternalServerError") : null,
      errorMessage: error?.message ?? null,
      durationMs: performance.now() - started,
    });
  }
}

/**
 * aws:executeAutomation: starts a child execution (ParentAutomationExecutionId names this one) as the
 * same identity and waits for it; outputs ExecutionId, Status and Output (the child's outputs).
 */
export const executeAutomationAction: Action = {
  async run(r) {
    // A child recorded before a crash that came before the step saved its id is that step's child.
    let childId: string | undefined = r.state?.childId ?? (await childOfStep(r.services.db, r.exec.execution_id, r.step.step_execution_id));
    if (!childId) {
      try {
        childId = await startChild(r);
      } catch (e) {
        if (e instanceof ApiError) return { kind: "failed", message: `Starting ${str(r.inputs.DocumentName)} failed: ${e.code}: ${e.message}` };
        throw e;
      }
      r.kick(childId);
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

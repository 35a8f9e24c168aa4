import { randomUUID } from "node:crypto";
import type {
  SendAutomationSignalRequest,
  SendAutomationSignalResult,
  StopAutomationExecutionRequest,
  StopAutomationExecutionResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op } from "../../runtime.js";
import { type ApprovalState, approversOf, isApprover } from "./actions/approve.js";
import { kick } from "./executor.js";
import { executionResource, findExecution } from "./ops-read.js";
import { findStep, toRunbook } from "./runbook.js";
import { isTerminal } from "./statuses.js";
import { listSteps, parseJson } from "./store.js";
import { automationDb, type ExecutionRow } from "./tables.js";

/** StopAutomationExecution: Cancel (the default) cancels the running step and ends Cancelled; Complete ends it Success. */
export const stopAutomationExecution = op<StopAutomationExecutionRequest, StopAutomationExecutionResult, ExecutionRow>({
  service: "ssm",
  name: "StopAutomationExecution",
  async resources(ctx, input) {
    const row = await findExecution(ctx, String(input.AutomationExecutionId));
    return { resources: [executionResource(ctx, row.execution_id)], prepared: row };
  },
  async handle(ctx, input, row) {
    if (isTerminal(row.status)) {
      throw new ApiError(
        "InvalidAutomationStatusUpdateException",
        `Automation execution ${row.execution_id} already ended ${row.status}; only a running execution can be stopped.`,
      );
    }
    const type = input.Type ?? "Cancel";
    const now = ctx.now().getTime();
    await ctx.transaction(async (tx) => {
      await automationDb(tx.db)
        .updateTable("automation_executions")
        .set({ stop_requested: type, wake_at: now, ...(type === "Cancel" ? { status: "Cancelling" } : {}) })
        .where("execution_id", "=", row.execution_id)
        .where("ended_at", "is", null)
        .execute();
    });
    kick(ctx.services, row.execution_id);
    return {};
  },
});

const one = (payload: Record<string, string[]> | undefined, key: string) => payload?.[key]?.[0];

/**
 * SendAutomationSignal: Approve / Reject an aws:approve step that waits (the caller must be one of
 * its approvers), Resume an aws:pause step, StartStep in an Interactive execution, StopStep a running
 * step. The signal is recorded and the executor applies it; a signal the execution cannot take
 * answers InvalidAutomationSignalException.
 */
export const sendAutomationSignal = op<SendAutomationSignalRequest, SendAutomationSignalResult, ExecutionRow>({
  service: "ssm",
  name: "SendAutomationSignal",
  async resources(ctx, input) {
    const row = await findExecution(ctx, String(input.AutomationExecutionId));
    return { resources: [executionResource(ctx, row.execution_id)], prepared: row };
  },
  async handle(ctx, input, row) {
    const type = String(input.SignalType);
    if (isTerminal(row.status)) {
      throw new ApiError("InvalidAutomationSignalException", `Automation execution ${row.execution_id} already ended ${row.status}; it takes no more signals.`);
    }
    const steps = await listSteps(ctx.services.db, row.execution_id);
    const open = steps.filter((s) => !isTerminal(s.status));
    const runbook = toRunbook(JSON.parse(row.runbook));
    switch (type) {
      case "Approve":
      case "Reject": {
        const step = open.find((s) => s.action === "aws:approve" && s.status === "Waiting");
        if (!step) throw new ApiError("InvalidAutomationSignalException", `No aws:approve step of ${row.execution_id} waits for approval now.`);
        const state = parseJson<ApprovalState | null>(step.state, null) ?? { ...approversOf({}), decisions: [] };
        if (!isApprover(state, ctx.principal)) {
          throw new ApiError(
            "InvalidAutomationSignalException",
            `${ctx.principal.arn} is not an approver of step ${step.step_name}; its approvers are ${state.approvers.join(", ") || "none"}.`,
          );
        }
        break;
      }
      case "Resume": {
        const name = one(input.Payload, "StepName");
        const step = open.find((s) => s.action === "aws:pause" && (!name || s.step_name === name));
        if (!step)
          throw new ApiError(
            "InvalidAutomationSignalException",
            `No aws:pause step${name ? ` named ${name}` : ""} of ${row.execution_id} waits to be resumed.`,
          );
        break;
      }
      case "StartStep": {
        const name = one(input.Payload, "StepName");
        if (!name) throw new ApiError("InvalidAutomationSignalException", "StartStep needs the step's name in the payload: StepName=<step>.");
        if (!findStep(runbook, name)) throw new ApiError("AutomationStepNotFoundException", `The runbook of ${row.execution_id} has no step ${name}.`);
        if (open.length > 0 || row.status !== "Waiting" || row.mode !== "Interactive") {
          throw new ApiError("InvalidAutomationSignalException", `Execution ${row.execution_id} is not an Interactive execution waiting for its next step.`);
        }
        break;
      }
      case "StopStep": {
        const id = one(input.Payload, "StepExecutionId");
        const step = steps.find((s) => s.step_execution_id === id);
        if (!step)
          throw new ApiError(
            "AutomationStepNotFoundException",
            `Execution ${row.execution_id} has no step execution ${id ?? "(none given: StepExecutionId=<id>)"}.`,
          );
        if (isTerminal(step.status)) throw new ApiError("InvalidAutomationSignalException", `Step execution ${id} already ended ${step.status}.`);
        break;
      }
      default:
        throw new ApiError("InvalidAutomationSignalException", `openssm does not take the signal ${type}; use Approve, Reject, Resume, StartStep or StopStep.`);
    }
    const now = ctx.now().getTime();
    await ctx.transaction(async (tx) => {
      await automationDb(tx.db)
        .insertInto("automation_signals")
        .values({
          signal_id: randomUUID(),
          execution_id: row.execution_id,
          signal_type: type,
          payload: JSON.stringify(input.Payload ?? {}),
          principal_arn: ctx.principal.arn,
          created_at: now,
        })
        .execute();
      await automationDb(tx.db).updateTable("automation_executions").set({ wake_at: now }).where("execution_id", "=", row.execution_id).execute();
    });
    kick(ctx.services, row.execution_id);
    return {};
  },
});

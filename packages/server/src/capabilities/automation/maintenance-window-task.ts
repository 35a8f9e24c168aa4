import { ApiError } from "../../errors.js";
import type { Services } from "../../runtime.js";
import type { TaskInvocationStatus, TaskTypeRunner } from "../maintenance-windows/index.js";
import { kick } from "./executor.js";
import { createExecution, prepareStart } from "./start.js";
import { getExecution } from "./store.js";
import { automationDb } from "./tables.js";

const STATUS: Record<string, TaskInvocationStatus> = {
  Pending: "IN_PROGRESS",
  InProgress: "IN_PROGRESS",
  Waiting: "IN_PROGRESS",
  Success: "SUCCESS",
  Failed: "FAILED",
  Rejected: "FAILED",
  TimedOut: "TIMED_OUT",
  Cancelling: "CANCELLING",
  Cancelled: "CANCELLED",
};

/** Asks an execution to stop (as StopAutomationExecution Cancel does). */
async function cancelExecution(services: Services, executionId: string): Promise<void> {
  const now = services.clock.now();
  await automationDb(services.db)
    .updateTable("automation_executions")
    .set({ stop_requested: "Cancel", status: "Cancelling", wake_at: now })
    .where("execution_id", "=", executionId)
    .where("ended_at", "is", null)
    .execute();
  kick(services, executionId);
}

/**
 * Maintenance Windows AUTOMATION tasks: one execution of the task's runbook per invocation, as the
 * task's identity, with its Automation.Parameters (pseudo-parameters such as {{RESOURCE_ID}} replaced).
 */
export const automationTask: TaskTypeRunner = {
  type: "AUTOMATION",
  async validate(ctx, task) {
    try {
      await prepareStart(ctx, { documentName: task.taskArn, documentVersion: task.invocationParameters?.Automation?.DocumentVersion, parameters: undefined });
    } catch (e) {
      if (e instanceof ApiError && (e.code === "AutomationDefinitionNotFoundException" || e.code === "AutomationDefinitionVersionNotFoundException")) {
        throw new ApiError("DoesNotExistException", `The task's runbook ${task.taskArn} can't be used: ${e.message}`);
      }
      // Missing parameters are given per invocation ({{RESOURCE_ID}}); they are checked when it starts.
      if (!(e instanceof ApiError && e.code === "InvalidAutomationExecutionParametersException")) throw e;
    }
  },
  async start(run) {
    const a = run.task.invocationParameters?.Automation ?? {};
    const given: Record<string, string[]> =
      a.Parameters ?? Object.fromEntries(Object.entries(run.task.taskParameters ?? {}).map(([k, v]) => [k, v.Values ?? []]));
    const parameters = Object.fromEntries(Object.entries(given).map(([k, values]) => [k, values.map(run.substitute)]));
    const id = await createExecution(run.ctx, { documentName: run.task.taskArn, documentVersion: a.DocumentVersion, parameters });
    kick(run.ctx.services, id);
    return {
      executionId: id,
      parameters: JSON.stringify({ documentName: run.task.taskArn, ...(a.DocumentVersion ? { documentVersion: a.DocumentVersion } : {}), parameters }),
    };
  },
  async status(services, _scope, executionId) {
    const row = await getExecution(services.db, executionId);
    if (!row) return { status: "FAILED", details: `Automation execution ${executionId} no longer exists.` };
    return { status: STATUS[row.status] ?? "IN_PROGRESS", details: row.failure_message ?? row.status };
  },
  async cancel(ctx, executionId) {
    await cancelExecution(ctx.services, executionId);
  },
};

import { ApiError } from "../../errors.js";
import type { Capability, RequestContext, Services, Tx } from "../../runtime.js";
import { stopExecutor, kick, wakeDue } from "./executor.js";
import { registerTaskType } from "../maintenance-windows/index.js";
import { automationTask } from "./maintenance-window-task.js";
import { getAutomationExecution, describeAutomationExecutions, describeAutomationStepExecutions } from "./ops-read.js";
import { sendAutomationSignal, stopAutomationExecution } from "./ops-control.js";
import { getExecutionPreview, startExecutionPreview } from "./ops-preview.js";
import { startAutomationExecution } from "./ops-start.js";
import { createExecution, EXECUTION_TAG_TYPE, type PreparedStart, prepareStart, type StartRequest, writeExecution } from "./start.js";
import { executionArn } from "./statuses.js";
import { getExecution, getScopedExecution, parseJson } from "./store.js";
import { automationMigrations } from "./tables.js";

export type { ChangeRequestInfo, ChangeRequestStart, StartRequest } from "./start.js";

/**
 * Starts an automation execution as the context's principal (Maintenance Windows AUTOMATION tasks,
 * State Manager automation associations, Change Manager): checks ssm:StartAutomationExecution on the
 * runbook and iam:PassRole for its assume role as StartAutomationExecution does, records the
 * execution and hands it to the executor. Throws the API's errors (AutomationDefinitionNotFoundException,
 * InvalidAutomationExecutionParametersException, ...). Returns the execution id.
 */
export async function startAutomation(ctx: RequestContext, request: StartRequest): Promise<string> {
  const id = await createExecution(ctx, request);
  kick(ctx.services, id);
  return id;
}

/**
 * Starts the execution of a change request (Change Manager's StartChangeRequestExecution, which the
 * dispatcher authorized on the template): `request.changeRequest` holds the composed runbook and the
 * OpsItem. Resolves it as StartAutomationExecution does (nothing is written yet), without a second
 * authorization as StartAutomationExecution; the runbook's own steps act with the requester's permissions.
 */
export function prepareChangeRequestAutomation(ctx: RequestContext, request: StartRequest & { changeRequest: object }): Promise<PreparedStart> {
  return prepareStart(ctx, request);
}

/** Records a prepared change-request execution in the caller's transaction; call `kickExecution` once it committed. */
export function writeChangeRequestAutomation(tx: Tx, ctx: RequestContext, prepared: PreparedStart): Promise<string> {
  return writeExecution(tx, ctx, prepared);
}

/** Hands a committed execution to the executor. */
export function kickExecution(services: Services, id: string): void {
  kick(services, id);
}

export interface AutomationStatus {
  executionId: string;
  status: string;
  /** True once the status is final (Success, Failed, TimedOut, Cancelled, ...). */
  ended: boolean;
  failureMessage?: string;
  /** The step running or waiting now (the last one once the execution ended). */
  currentStepName?: string;
  outputs: Record<string, string[]>;
  startedAt: number;
  endedAt?: number;
}

/** An execution's status, for capabilities that started one (undefined when there is no such execution). */
export async function getAutomationStatus(services: Services, executionId: string): Promise<AutomationStatus | undefined> {
  const row = await getExecution(services.db, executionId);
  if (!row) return undefined;
  return {
    executionId,
    status: row.status,
    ended: row.ended_at !== null,
    failureMessage: row.failure_message ?? undefined,
    currentStepName: row.current_step_name ?? undefined,
    outputs: parseJson(row.outputs, {}),
    startedAt: row.started_at,
    endedAt: row.ended_at ?? undefined,
  };
}

/**
 * Automation: runbooks (schemaVersion 0.3) run step by step on the server by a durable executor —
 * every step transition is stored, waits are rows the scheduler wakes, and a restarted server
 * resumes where it was. Operations: Start/Stop/Get/DescribeAutomationExecution(s),
 * DescribeAutomationStepExecutions, SendAutomationSignal, Start/GetExecutionPreview.
 */
export const automationCapability: Capability = {
  name: "automation",
  migrations: automationMigrations,
  operations: [
    startAutomationExecution,
    stopAutomationExecution,
    getAutomationExecution,
    describeAutomationExecutions,
    describeAutomationStepExecutions,
    sendAutomationSignal,
    startExecutionPreview,
    getExecutionPreview,
  ],
  start(services) {
    services.taggable.set(EXECUTION_TAG_TYPE, {
      async resolve(ctx, resourceId) {
        const row = await getScopedExecution(ctx.services.db, ctx.scope, resourceId);
        if (!row) throw new ApiError("InvalidResourceId", `Automation execution ${resourceId} does not exist in this account and region.`);
        return { id: row.execution_id, arn: executionArn(ctx.scope, row.execution_id) };
      },
    });
    // Each execution has its own lease: every replica wakes due ones, and one of them runs each.
    services.scheduler.register({ name: "automation-executor", everyReplica: true, run: (now) => wakeDue(services, now) });
    registerTaskType(services, automationTask);
  },
  async stop(services) {
    await stopExecutor(services);
  },
};

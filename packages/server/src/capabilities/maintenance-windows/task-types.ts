import { randomUUID } from "node:crypto";
import type { MaintenanceWindowTaskInvocationParameters, Target } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { createRequestContext } from "../../http/request-context.js";
import { getPrincipal, listPolicies } from "../../iam/principals.js";
import type { RequestContext, ServerSlot, Services } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";

/**
 * The seam between maintenance windows and the capabilities that run their tasks: each task type
 * (RUN_COMMAND, AUTOMATION, ...) registers a runner; a window execution starts one invocation per
 * target through it, polls its status and cancels it. Runners live in the capability that owns the
 * work (Run Command here, Automation in its own capability) and register with `registerTaskType`.
 */

export type TaskInvocationStatus = "PENDING" | "IN_PROGRESS" | "SUCCESS" | "FAILED" | "TIMED_OUT" | "CANCELLING" | "CANCELLED";

/** A registered task as runners see it. */
export interface TaskDefinition {
  windowId: string;
  windowTaskId: string;
  taskArn: string;
  taskType: string;
  targets: Target[];
  serviceRoleArn?: string;
  /** The deprecated TaskParameters: name → { Values }. */
  taskParameters?: Record<string, { Values?: string[] }>;
  invocationParameters?: MaintenanceWindowTaskInvocationParameters;
  maxConcurrency?: string;
  maxErrors?: string;
}

/** What one invocation runs on: a node (RUN_COMMAND, AUTOMATION with targets) or nothing (a targetless task). */
export interface InvocationTarget {
  resourceId?: string;
  windowTargetId?: string;
  targetType?: "INSTANCE" | "RESOURCE_GROUP";
  ownerInformation?: string;
}

export interface InvocationStart {
  /** Acts as the task's identity (its ServiceRoleArn, else whoever registered it), with its policies. */
  ctx: RequestContext;
  task: TaskDefinition;
  target: InvocationTarget;
  windowExecutionId: string;
  taskExecutionId: string;
  invocationId: string;
  /** Replaces the pseudo-parameters ({{RESOURCE_ID}}, {{WINDOW_ID}}, ...) in a value. */
  substitute(text: string): string;
}

export interface TaskTypeRunner {
  type: string;
  /** Checks a task when it is registered or updated (the document or runbook exists, ...); throws ApiError. */
  validate?(ctx: RequestContext, task: TaskDefinition): Promise<void>;
  /** Starts one invocation; returns what it started and the parameters it ran with (shown by the invocation APIs). */
  start(run: InvocationStart): Promise<{ executionId: string; parameters: string }>;
  /** Where a started invocation stands. */
  status(services: Services, scope: Scope, executionId: string): Promise<{ status: TaskInvocationStatus; details?: string }>;
  /** Asks the invocation to stop (CancelMaintenanceWindowExecution, CutoffBehavior CANCEL_TASK). */
  cancel(ctx: RequestContext, executionId: string): Promise<void>;
}

/** This server's task type runners. */
export const TASK_TYPES: ServerSlot<Map<string, TaskTypeRunner>> = { name: "maintenance-windows.task-types", create: () => new Map() };

/** Registers (or replaces) the runner of a task type, e.g. AUTOMATION from the Automation capability. */
export function registerTaskType(services: Services, runner: TaskTypeRunner): void {
  services.own(TASK_TYPES).set(runner.type, runner);
}

/** The runner of a task type, or the error that says why there is none. */
export function taskTypeRunner(services: Services, type: string): TaskTypeRunner {
  const runner = services.own(TASK_TYPES).get(type);
  if (runner) return runner;
  if (type === "LAMBDA" || type === "STEP_FUNCTIONS") {
    const what = type === "LAMBDA" ? "AWS Lambda functions" : "AWS Step Functions state machines";
    throw new ApiError(
      "FeatureNotAvailableException",
      `openssm runs no ${what}, so it can't run ${type} tasks; register a RUN_COMMAND or AUTOMATION task that does the work instead.`,
    );
  }
  throw new ApiError("FeatureNotAvailableException", `${type} tasks need a capability this server does not run yet; register a RUN_COMMAND task instead.`);
}

/** The pseudo-parameters AWS substitutes in task parameters. */
export function pseudoParameters(values: Record<string, string | undefined>): (text: string) => string {
  return (text) =>
    text.replace(
      /\{\{\s*(RESOURCE_ID|TARGET_ID|TARGET_TYPE|WINDOW_ID|WINDOW_EXECUTION_ID|WINDOW_TASK_ID|WINDOW_TARGET_ID|TASK_EXECUTION_ID|INVOCATION_ID)\s*\}\}/g,
      (all, name: string) => {
        const v = values[name];
        return v === undefined ? all : v;
      },
    );
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;

/** Checks a task's ServiceRoleArn as IAM checks iam:PassRole: an openssm role of this account the caller may pass. */
export async function checkServiceRole(ctx: RequestContext, arn: string | undefined): Promise<void> {
  if (!arn) return;
  const m = ROLE_ARN.exec(arn);
  if (!m || m[1] !== ctx.accountId) {
    throw new ApiError("ValidationException", `ServiceRoleArn ${arn} is not a role of this account (arn:aws:iam::${ctx.accountId}:role/<name>).`);
  }
  const role = await getPrincipal(ctx.services.db, arn);
  if (!role || role.kind !== "role") {
    throw new ApiError(
      "ValidationException",
      `ServiceRoleArn ${arn} names no role: create it with openssm iam create-role, or leave ServiceRoleArn out to run tasks as yourself.`,
    );
  }
  await ctx.authorize("iam:PassRole", [{ arn }]);
}

/** The context a task's work runs in: its role, else the principal who registered it; audited as the window execution. */
export async function taskContext(
  services: Services,
  scope: Scope,
  principalArn: string,
  operation: string,
  windowExecutionId: string,
): Promise<RequestContext> {
  const principal = await getPrincipal(services.db, principalArn);
  if (!principal) throw new ApiError("AccessDeniedException", `The principal ${principalArn} this task runs as no longer exists.`);
  const policies = (await listPolicies(services.db, principal.arn)).map((p) => p.document);
  return createRequestContext(
    services,
    randomUUID(),
    operation,
    { accessKeyId: "", secret: "", sessionTokenHash: null, expiresAt: null, status: "Active", principal, policies },
    scope.region,
    { sourceIp: `maintenance-window:${windowExecutionId}`, secure: true },
  );
}

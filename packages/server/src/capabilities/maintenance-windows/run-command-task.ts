import type { SendCommandRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { cancelCommandAs, commandStatus, sendCommandAs } from "../commands/index.js";
import { getDocumentForExecution } from "../documents/index.js";
import type { InvocationStart, TaskInvocationStatus, TaskTypeRunner } from "./task-types.js";

const STATUS: Record<string, TaskInvocationStatus> = {
  Pending: "IN_PROGRESS",
  InProgress: "IN_PROGRESS",
  Delayed: "IN_PROGRESS",
  Success: "SUCCESS",
  Failed: "FAILED",
  TimedOut: "TIMED_OUT",
  Cancelled: "CANCELLED",
  Cancelling: "CANCELLING",
};

function audit(ctx: RequestContext, input: SendCommandRequest, error: unknown, started: number): void {
  ctx.services.audit.record({
    time: ctx.services.clock.now(),
    requestId: ctx.requestId,
    accountId: ctx.accountId,
    region: ctx.region,
    principalArn: ctx.principal.arn,
    accessKeyId: null,
    sourceIp: ctx.sourceIp,
    service: "ssm",
    operation: "SendCommand",
    parameters: { DocumentName: input.DocumentName, DocumentVersion: input.DocumentVersion, InstanceIds: input.InstanceIds, Comment: input.Comment },
    errorCode: error ? (error instanceof ApiError ? error.code : "InternalServerError") : null,
    errorMessage: error ? (error as Error).message : null,
    durationMs: performance.now() - started,
  });
}

/** RUN_COMMAND tasks: one SendCommand per target node, so outputs, statuses and cancels are Run Command's own. */
export const runCommandTask: TaskTypeRunner = {
  type: "RUN_COMMAND",
  async validate(ctx, task) {
    const rc = task.invocationParameters?.RunCommand;
    let doc: Awaited<ReturnType<typeof getDocumentForExecution>>;
    try {
      doc = await getDocumentForExecution(ctx, task.taskArn, rc?.DocumentVersion);
    } catch (e) {
      if (e instanceof ApiError && (e.code === "InvalidDocument" || e.code === "InvalidDocumentVersion")) {
        throw new ApiError("DoesNotExistException", `The task's document ${task.taskArn} can't be used: ${e.message}`);
      }
      throw e;
    }
    if (doc.documentType !== "Command") {
      throw new ApiError("ValidationException", `${task.taskArn} is a document of type ${doc.documentType}; RUN_COMMAND tasks run documents of type Command.`);
    }
    if (task.targets.length === 0) {
      throw new ApiError("ValidationException", "RUN_COMMAND tasks need Targets: Key=WindowTargetIds (targets registered with the window) or Key=InstanceIds.");
    }
  },
  async start(run: InvocationStart) {
    const { task, target, substitute } = run;
    const rc = run.task.invocationParameters?.RunCommand ?? {};
    const given: Record<string, string[]> = rc.Parameters ?? Object.fromEntries(Object.entries(task.taskParameters ?? {}).map(([k, v]) => [k, v.Values ?? []]));
    const parameters = Object.fromEntries(Object.entries(given).map(([k, values]) => [k, values.map(substitute)]));
    if (!target.resourceId) throw new ApiError("ValidationException", "A RUN_COMMAND invocation needs a target node.");
    const input: SendCommandRequest = {
      DocumentName: task.taskArn,
      DocumentVersion: rc.DocumentVersion,
      DocumentHash: rc.DocumentHash,
      DocumentHashType: rc.DocumentHashType,
      InstanceIds: [target.resourceId],
      Parameters: parameters,
      Comment: rc.Comment ? substitute(rc.Comment) : undefined,
      TimeoutSeconds: rc.TimeoutSeconds,
      OutputS3BucketName: rc.OutputS3BucketName,
      OutputS3KeyPrefix: rc.OutputS3KeyPrefix ? substitute(rc.OutputS3KeyPrefix) : undefined,
      NotificationConfig: rc.NotificationConfig,
      CloudWatchOutputConfig: rc.CloudWatchOutputConfig,
      ServiceRoleArn: rc.ServiceRoleArn,
    };
    const started = performance.now();
    let error: unknown;
    try {
      const result = await sendCommandAs(run.ctx, input);
      const shown = {
        comment: input.Comment ?? "",
        documentName: task.taskArn,
        ...(input.DocumentVersion ? { documentVersion: input.DocumentVersion } : {}),
        instanceIds: input.InstanceIds,
        maxConcurrency: task.maxConcurrency ?? "",
        maxErrors: task.maxErrors ?? "",
        parameters,
        ...(input.TimeoutSeconds ? { timeoutSeconds: input.TimeoutSeconds } : {}),
      };
      return { executionId: String(result.Command?.CommandId), parameters: JSON.stringify(shown) };
    } catch (e) {
      error = e;
      throw e;
    } finally {
      audit(run.ctx, input, error, started);
    }
  },
  async status(services, _scope, executionId) {
    const s = await commandStatus(services, executionId);
    if (!s) return { status: "FAILED", details: `Command ${executionId} no longer exists.` };
    return { status: STATUS[s.status] ?? "IN_PROGRESS", details: s.statusDetails };
  },
  async cancel(ctx, executionId) {
    await cancelCommandAs(ctx, executionId);
  },
};

import { createHash, randomUUID } from "node:crypto";
import type { SendCommandRequest, SendCommandResult } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op, type RequestContext, type ResourceRef } from "../../runtime.js";
import { getDocumentByHash, getDocumentForExecution, type ResolvedDocument, resolveParameters } from "../documents/index.js";
import { nodeArn, nodeTags, registeredNodeFacts, resolveTargets } from "../nodes/index.js";
import { agentParameters, buildSendCommandPayload, executionTimeoutSeconds, pluginNames } from "./document-payload.js";
import { publishCommandStatus } from "./events.js";
import { concurrencyLimit, DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_ERRORS, errorLimit } from "./rate-control.js";
import { advanceCommand } from "./rollout.js";
import { getCommand } from "./store.js";
import { commandDb } from "./tables.js";
import { commandView } from "./views.js";

/** TimeoutSeconds when the caller gives none: an invocation may wait an hour to be delivered. */
const DEFAULT_DELIVERY_TIMEOUT_SECONDS = 3600;
const INSERT_BATCH = 100;

interface Prepared {
  doc: ResolvedDocument;
  instanceIds: string[];
}

async function findDocument(ctx: RequestContext, input: SendCommandRequest): Promise<ResolvedDocument> {
  const name = String(input.DocumentName);
  let doc: ResolvedDocument;
  if (input.DocumentHash) {
    if (input.DocumentVersion) throw new ApiError("InvalidParameters", "Give DocumentVersion or DocumentHash, not both.");
    if ((input.DocumentHashType ?? "Sha256") === "Sha256") {
      doc = await getDocumentByHash(ctx, name, input.DocumentHash.toLowerCase());
    } else {
      doc = await getDocumentForExecution(ctx, name);
      const sha1 = createHash("sha1").update(doc.rawContent).digest("hex");
      if (sha1 !== input.DocumentHash.toLowerCase()) {
        throw new ApiError(
          "InvalidDocument",
          `The Sha1 hash ${input.DocumentHash} does not match the default version of ${name}; give the Sha256 hash of the version to run.`,
        );
      }
    }
  } else {
    doc = await getDocumentForExecution(ctx, name, input.DocumentVersion);
  }
  if (doc.documentType !== "Command") {
    throw new ApiError("InvalidDocument", `${name} is a document of type ${doc.documentType}; SendCommand runs documents of type Command.`);
  }
  return doc;
}

/** SendCommand resolves the document and the targets once, for authorization; the handler gets them. */
async function prepare(ctx: RequestContext, input: SendCommandRequest): Promise<Prepared> {
  if (input.InstanceIds && new Set(input.InstanceIds).size !== input.InstanceIds.length) {
    const dup = input.InstanceIds.find((id, i) => input.InstanceIds?.indexOf(id) !== i);
    throw new ApiError("DuplicateInstanceId", `${dup} appears more than once in InstanceIds; name each node once.`);
  }
  const doc = await findDocument(ctx, input);
  const instanceIds = await resolveTargets(ctx, { InstanceIds: input.InstanceIds, Targets: input.Targets });
  return { doc, instanceIds };
}

/** The nodes' names, for the invocations (looked up before the transaction that records them). */
async function nodeNames(ctx: RequestContext, instanceIds: string[]): Promise<string[]> {
  const names = new Map<string, string>();
  for (let i = 0; i < instanceIds.length; i += INSERT_BATCH) {
    for (const f of await registeredNodeFacts(ctx.services.db, ctx.scope, instanceIds.slice(i, i + INSERT_BATCH))) names.set(f.instanceId, f.name ?? "");
  }
  return instanceIds.map((id) => names.get(id) ?? "");
}

function checkNotificationConfig(input: SendCommandRequest): void {
  const arn = input.NotificationConfig?.NotificationArn;
  if (arn && !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(arn)) {
    throw new ApiError("InvalidNotificationConfig", `NotificationArn ${arn} is not an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>).`);
  }
}

function checkRateControl(input: SendCommandRequest, targets: number): { maxConcurrency: string; maxErrors: string } {
  const maxConcurrency = input.MaxConcurrency ?? DEFAULT_MAX_CONCURRENCY;
  const maxErrors = input.MaxErrors ?? DEFAULT_MAX_ERRORS;
  try {
    concurrencyLimit(maxConcurrency, targets);
    errorLimit(maxErrors, targets);
  } catch (e) {
    throw new ApiError("ValidationException", (e as Error).message);
  }
  return { maxConcurrency, maxErrors };
}

/**
 * SendCommand: resolves the document (name or ARN, version or hash) and its parameters, the target
 * nodes (InstanceIds, or Targets by tag:<key>, tag-key, InstanceIds), records the command and one
 * invocation per node, and starts the first wave of rate control.
 */
export const sendCommand = op<SendCommandRequest, SendCommandResult, Prepared>({
  service: "ssm",
  name: "SendCommand",
  async resources(ctx, input) {
    const prepared = await prepare(ctx, input);
    const refs: ResourceRef[] = [{ arn: prepared.doc.arn }];
    for (const id of prepared.instanceIds) refs.push({ arn: nodeArn(ctx.scope, id), tags: () => nodeTags(ctx.services.db, ctx.scope, id) });
    return { resources: refs, prepared };
  },
  async handle(ctx, input, { doc, instanceIds }) {
    checkNotificationConfig(input);
    const { maxConcurrency, maxErrors } = checkRateControl(input, instanceIds.length);
    const resolved = await resolveParameters(ctx, doc, input.Parameters as Record<string, unknown> | undefined);
    const commandId = randomUUID();
    const now = ctx.now().getTime();
    const deliveryTimeout = input.TimeoutSeconds ?? DEFAULT_DELIVERY_TIMEOUT_SECONDS;
    const executionTimeout = executionTimeoutSeconds(doc, resolved);
    const payload = buildSendCommandPayload(commandId, doc, agentParameters(resolved));
    const plugins = pluginNames(doc);
    const names = await nodeNames(ctx, instanceIds);
    // The command, its invocations and their plugins, and its Pending event: all of them or none.
    await ctx.transaction(async (tx) => {
      const d = commandDb(tx.db);
      await d
        .insertInto("commands_commands")
        .values({
          command_id: commandId,
          account_id: ctx.accountId,
          region: ctx.region,
          document_name: String(input.DocumentName),
          document_version: doc.version,
          document_arn: doc.arn,
          comment: input.Comment ?? "",
          parameters: JSON.stringify(input.Parameters ?? {}),
          instance_ids: JSON.stringify(input.InstanceIds ?? []),
          targets: JSON.stringify(input.Targets ?? []),
          requested_at: now,
          expires_after: now + (deliveryTimeout + executionTimeout) * 1000,
          delivery_timeout_seconds: deliveryTimeout,
          execution_timeout_seconds: executionTimeout,
          status: "Pending",
          status_details: "Pending",
          max_concurrency: maxConcurrency,
          max_errors: maxErrors,
          target_count: instanceIds.length,
          completed_count: 0,
          error_count: 0,
          delivery_timed_out_count: 0,
          output_s3_region: input.OutputS3Region ?? null,
          output_s3_bucket_name: input.OutputS3BucketName ?? null,
          output_s3_key_prefix: input.OutputS3KeyPrefix ?? null,
          service_role: input.ServiceRoleArn ?? null,
          notification_config: input.NotificationConfig ? JSON.stringify(input.NotificationConfig) : null,
          cloudwatch_output_config: input.CloudWatchOutputConfig ? JSON.stringify(input.CloudWatchOutputConfig) : null,
          alarm_configuration: input.AlarmConfiguration ? JSON.stringify(input.AlarmConfiguration) : null,
          payload: JSON.stringify(payload),
          plugin_names: JSON.stringify(plugins),
          cancel_requested: 0,
          requested_by: ctx.principal.arn,
          finished_at: null,
        })
        .execute();
      for (let i = 0; i < instanceIds.length; i += INSERT_BATCH) {
        const batch = instanceIds.slice(i, i + INSERT_BATCH);
        await d
          .insertInto("commands_invocations")
          .values(
            batch.map((id, j) => ({
              command_id: commandId,
              instance_id: id,
              account_id: ctx.accountId,
              region: ctx.region,
              seq: i + j,
              instance_name: names[i + j],
              status: "Pending",
              status_details: "Pending",
              dispatched: 0,
              terminal: 0,
              requested_at: now,
              dispatched_at: null,
              delivered_at: null,
              acknowledged_at: null,
              finished_at: null,
              delivery_deadline: now + deliveryTimeout * 1000,
              execution_deadline: null,
              trace_output: "",
              cancel_message_id: null,
              updated_at: now,
            })),
          )
          .execute();
        if (plugins.length) {
          await d
            .insertInto("commands_plugins")
            .values(
              batch.flatMap((id) =>
                plugins.map((name, seq) => ({
                  command_id: commandId,
                  instance_id: id,
                  name,
                  seq,
                  status: "Pending",
                  status_details: "Pending",
                  response_code: -1,
                  response_start: null,
                  response_finish: null,
                  output: "",
                  terminal: 0,
                })),
              ),
            )
            .execute();
        }
      }
      const created = await getCommand(tx.db, commandId);
      if (created) await publishCommandStatus(ctx.services, created, "Pending", instanceIds, now, tx.publish);
    });
    await advanceCommand(ctx.services, commandId);
    const row = await getCommand(ctx.services.db, commandId);
    if (!row) throw new ApiError("InternalServerError", "The command was not stored.", 500);
    return { Command: commandView(row) };
  },
});

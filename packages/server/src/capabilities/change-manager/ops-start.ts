import { createHash, randomUUID } from "node:crypto";
import type { StartChangeRequestExecutionRequest, StartChangeRequestExecutionResult } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op, type RequestContext } from "../../runtime.js";
import { kickExecution, prepareChangeRequestAutomation, writeChangeRequestAutomation } from "../automation/index.js";
import { calendarState, isoSeconds } from "../calendar/index.js";
import { getDocumentForExecution, type ResolvedDocument, resolveParameters } from "../documents/index.js";
import { insertOpsItem, opsItemRowOf } from "../ops-center/index.js";
import { serviceSettingValue } from "../settings/index.js";
import { approverListOf, resolveApprovers } from "./approvers.js";
import { composeRunbook } from "./compose.js";
import { CHANGE_TEMPLATE } from "./ops-template-review.js";
import { allReviews, statusOf } from "./reviews.js";
import { CALENDAR_OVERRIDE_APPROVERS, REQUIRE_APPROVED_TEMPLATES } from "./settings.js";
import { changeDb } from "./tables.js";
import { readTemplate } from "./template.js";
import { trackNow } from "./tracking.js";

const invalid = (message: string) => new ApiError("InvalidAutomationExecutionParametersException", message);

function epochMs(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "number") return value * 1000;
  if (value instanceof Date) return value.getTime();
  const t = Date.parse(String(value));
  return Number.isFinite(t) ? t : undefined;
}

/**
 * The template version a change request uses: the one named, or the latest approved version. With
 * /ssm/change-management/require-approved-templates-only True (the default, as AWS requires) a version
 * that is not APPROVED answers AutomationDefinitionNotApprovedException.
 */
async function approvedTemplate(ctx: RequestContext, name: string, version: string | undefined): Promise<ResolvedDocument> {
  const lookup = async (v: string | undefined) => {
    try {
      return await getDocumentForExecution(ctx, name, v);
    } catch (e) {
      if (e instanceof ApiError && e.code === "InvalidDocument") throw new ApiError("AutomationDefinitionNotFoundException", e.message);
      if (e instanceof ApiError && e.code === "InvalidDocumentVersion") throw new ApiError("AutomationDefinitionVersionNotFoundException", e.message);
      throw e;
    }
  };
  const named = await lookup(version);
  if (named.documentType !== CHANGE_TEMPLATE) {
    throw new ApiError(
      "AutomationDefinitionNotFoundException",
      `${named.name} is a ${named.documentType} document; StartChangeRequestExecution takes a change template (document type ${CHANGE_TEMPLATE}).`,
    );
  }
  const required = (await serviceSettingValue(ctx.services, ctx.scope, REQUIRE_APPROVED_TEMPLATES)) === "True";
  if (!required || named.owner !== ctx.accountId) return named;
  const reviews = await allReviews(ctx.services.db, ctx.scope, named.name);
  const statusOfVersion = async (doc: ResolvedDocument) => statusOf(reviews.filter((r) => r.version === Number(doc.version) && r.hash === doc.hash));
  let doc = named;
  if (version === undefined) {
    // No version named: the latest approved one.
    const approved = [...new Set(reviews.filter((r) => r.status === "APPROVED").map((r) => r.version))].sort((a, b) => b - a);
    for (const v of approved) {
      const candidate = await lookup(String(v)).catch(() => undefined);
      if (candidate && (await statusOfVersion(candidate)) === "APPROVED") {
        doc = candidate;
        break;
      }
    }
  }
  const status = await statusOfVersion(doc);
  if (status !== "APPROVED") {
    throw new ApiError(
      "AutomationDefinitionNotApprovedException",
      `Change template ${doc.name} version ${doc.version} is ${status}, not APPROVED: a reviewer must approve it first (aws ssm update-document-metadata --name ${doc.name} --document-version ${doc.version} --document-reviews 'Action=Approve,Comment=[{Type=Comment,Content=ok}]').`,
    );
  }
  return doc;
}

/** The runbook a change request runs, checked now: it exists, the template allows it, its parameters are valid. */
async function checkRunbook(
  ctx: RequestContext,
  template: ReturnType<typeof readTemplate>,
  runbook: NonNullable<StartChangeRequestExecutionRequest["Runbooks"]>[number],
) {
  const name = String(runbook.DocumentName);
  if (template.runbooks.length && !template.runbooks.some((r) => r.name === name)) {
    throw invalid(`The change template allows the runbooks ${template.runbooks.map((r) => r.name).join(", ")}; ${name} is not one of them.`);
  }
  let doc: ResolvedDocument;
  try {
    doc = await getDocumentForExecution(ctx, name, runbook.DocumentVersion);
  } catch (e) {
    if (e instanceof ApiError && (e.code === "InvalidDocument" || e.code === "InvalidDocumentVersion"))
      throw new ApiError("AutomationDefinitionNotFoundException", `Runbook ${name}: ${e.message}`);
    throw e;
  }
  if (doc.documentType !== "Automation")
    throw new ApiError("AutomationDefinitionNotFoundException", `Runbook ${name} is a ${doc.documentType} document, not an Automation runbook.`);
  if (runbook.TargetLocations?.length || runbook.TargetMaps?.length) {
    throw invalid(
      "openssm runs a change's runbook with Targets (and TargetParameterName) or without targets; TargetLocations and TargetMaps are not supported.",
    );
  }
  if (!runbook.Targets?.length) {
    try {
      await resolveParameters(ctx, doc, runbook.Parameters);
    } catch (e) {
      if (e instanceof ApiError && e.code === "InvalidParameters") throw invalid(`Runbook ${name}: ${e.message}`);
      throw e;
    }
  } else if (!runbook.TargetParameterName) {
    throw invalid(`Runbook ${name} has Targets: give TargetParameterName, the runbook parameter each target's value goes into.`);
  }
}

/**
 * StartChangeRequestExecution: checks the template (approved, at most five approval levels, approvers
 * that exist), the runbook and the change calendar at the scheduled time (closed: rejected with the
 * reason, nothing created; emergency templates skip the calendar), then opens the /aws/changerequest
 * OpsItem and starts the automation execution that waits for each approval level, the scheduled time
 * and the calendar again before it runs the runbook. If the execution can't start, the OpsItem goes.
 */
export const startChangeRequestExecution = op<StartChangeRequestExecutionRequest, StartChangeRequestExecutionResult, ResolvedDocument>({
  service: "ssm",
  name: "StartChangeRequestExecution",
  async resources(ctx, input) {
    const doc = await approvedTemplate(ctx, String(input.DocumentName), input.DocumentVersion);
    return { resources: [{ arn: doc.arn }], prepared: doc };
  },
  async handle(ctx, input, doc) {
    const requestHash = createHash("sha256")
      .update(JSON.stringify({ ...input, ClientToken: undefined }))
      .digest("hex");
    if (input.ClientToken) {
      const earlier = await changeDb(ctx.services.db)
        .selectFrom("change_requests")
        .select(["execution_id", "request_hash"])
        .where("account_id", "=", ctx.accountId)
        .where("region", "=", ctx.region)
        .where("client_token", "=", input.ClientToken)
        .executeTakeFirst();
      if (earlier && earlier.request_hash !== requestHash) {
        throw new ApiError(
          "IdempotentParameterMismatch",
          `ClientToken ${input.ClientToken} was used for another change request (${earlier.execution_id}); give a new token for a different request.`,
        );
      }
      if (earlier) return { AutomationExecutionId: earlier.execution_id };
    }
    const template = readTemplate(doc.name, doc.content);
    const runbook = (input.Runbooks ?? [])[0];
    const now = ctx.now().getTime();
    const scheduled = epochMs(input.ScheduledTime);
    const scheduledEnd = epochMs(input.ScheduledEndTime);
    if (scheduledEnd !== undefined && scheduledEnd <= (scheduled ?? now)) {
      throw invalid(`ScheduledEndTime ${isoSeconds(scheduledEnd)} is not after the start of the change (${isoSeconds(scheduled ?? now)}).`);
    }
    if (input.AutoApprove && !template.autoApprovable) {
      throw invalid(`Change template ${doc.name} is not auto-approvable (autoApprovable: true); submit without AutoApprove so that its approvers decide.`);
    }
    const autoApproved = Boolean(input.AutoApprove);
    const levels = [];
    if (!autoApproved) {
      if (!template.levels.length) throw invalid(`Change template ${doc.name} has no approval level (aws:approve step) and the request is not auto-approved.`);
      for (const [i, level] of template.levels.entries()) {
        const approvers = await resolveApprovers(ctx, level.approvers, `Approval level ${i + 1} (${level.stepName})`);
        if (!approvers.length) throw invalid(`Approval level ${i + 1} (${level.stepName}) of ${doc.name} names no approver.`);
        if (level.minRequired > approvers.length) {
          throw invalid(`Approval level ${i + 1} (${level.stepName}) needs ${level.minRequired} approvals but names only ${approvers.length} approver(s).`);
        }
        levels.push({ ...level, approvers });
      }
    }
    await checkRunbook(ctx, template, runbook);
    const calendars = template.emergency ? [] : template.calendars;
    let calendarNote = template.emergency ? "emergency change: change calendars not checked" : "no change calendar";
    if (calendars.length) {
      const at = scheduled ?? now;
      const state = await calendarState(ctx, calendars, at);
      if (state.state !== "OPEN") {
        const until = state.nextTransitionTime ? `; it opens at ${isoSeconds(state.nextTransitionTime)}` : "";
        throw invalid(
          `The change calendar ${calendars.join(", ")} is CLOSED at ${isoSeconds(at)}${until}. The change request was rejected and nothing was created: schedule it when the calendar is open, or use an emergency change template.`,
        );
      }
      calendarNote = `${calendars.join(", ")} OPEN at ${isoSeconds(at)} (checked at submission)`;
    }
    const overrideApprovers = calendars.length
      ? await approverListOf(ctx.services, await serviceSettingValue(ctx.services, ctx.scope, CALENDAR_OVERRIDE_APPROVERS))
      : [];
    const executionId = randomUUID();
    const composed = composeRunbook({
      template: doc.content,
      levels,
      scheduledTime: scheduled === undefined ? undefined : new Date(scheduled).toISOString(),
      calendars,
      overrideApprovers,
      runbook,
    });
    const name = input.ChangeRequestName ?? doc.name;
    // The OpsItem's row is made (and checked) first, so the execution can name it; then the OpsItem,
    // the tracking row and the execution commit together, or none of them does.
    const { row: opsItemRow, tags: opsItemTags } = opsItemRowOf(ctx.scope, ctx.principal.arn, now, {
      Title: name.slice(0, 1024),
      Description: (input.ChangeDetails ?? template.description ?? `Change request for template ${doc.name}`).slice(0, 2048),
      Source: "ssm",
      OpsItemType: "/aws/changerequest",
      ...(scheduled !== undefined ? { PlannedStartTime: new Date(scheduled) } : {}),
      ...(scheduledEnd !== undefined ? { PlannedEndTime: new Date(scheduledEnd) } : {}),
      OperationalData: {
        "/openssm/changerequest/execution": { Value: executionId, Type: "SearchableString" },
        "/openssm/changerequest/template": { Value: `${doc.name}:${doc.version}`, Type: "SearchableString" },
        "/openssm/changerequest/runbook": { Value: String(runbook.DocumentName), Type: "SearchableString" },
        "/openssm/changerequest/calendar-at-submission": { Value: calendarNote, Type: "String" },
        "/openssm/changerequest/requester": { Value: ctx.principal.arn, Type: "SearchableString" },
      },
    });
    const opsItemId = opsItemRow.ops_item_id;
    const prepared = await prepareChangeRequestAutomation(ctx, {
      executionId,
      documentName: doc.name,
      documentVersion: doc.version,
      parameters: input.Parameters,
      tags: input.Tags?.map((t) => ({ Key: String(t.Key), Value: String(t.Value) })),
      clientToken: input.ClientToken,
      changeRequest: {
        runbook: composed,
        opsItemId,
        info: {
          ChangeRequestName: input.ChangeRequestName,
          ScheduledTime: scheduled,
          ScheduledEndTime: scheduledEnd,
          Runbooks: [runbook],
        },
      },
    });
    await ctx.transaction(async (tx) => {
      await insertOpsItem(tx, ctx.scope, opsItemRow, opsItemTags);
      await changeDb(tx.db)
        .insertInto("change_requests")
        .values({
          execution_id: executionId,
          account_id: ctx.accountId,
          region: ctx.region,
          ops_item_id: opsItemId,
          requester_arn: ctx.principal.arn,
          recorded: "[]",
          seen: "",
          client_token: input.ClientToken ?? null,
          request_hash: requestHash,
          done: 0,
          created_at: now,
        })
        .execute();
      await writeChangeRequestAutomation(tx, ctx, prepared);
    });
    kickExecution(ctx.services, executionId);
    trackNow(ctx.services, executionId);
    return { AutomationExecutionId: executionId };
  },
});

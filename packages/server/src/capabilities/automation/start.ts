import { randomUUID } from "node:crypto";
import type { Runbook as ChangeRunbook } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext, Tx } from "../../runtime.js";
import { getDocumentForExecution, type ResolvedDocument, resolveParameters, toApiParameterValues } from "../documents/index.js";
import { resolveTargets } from "../nodes/index.js";
import { putTags } from "../tags/index.js";
import { END, WAIT } from "./engine-state.js";
import { executionEvent } from "./events.js";
import { executionPrincipalArn } from "./identity.js";
import { globalValues, resolveReferences } from "./references.js";
import { toRunbook } from "./runbook.js";
import { definitionArn } from "./statuses.js";
import { automationDb, type ExecutionRow } from "./tables.js";

/** The tag resource type of executions (AddTagsToResource ResourceType Automation). */
export const EXECUTION_TAG_TYPE = "Automation";

interface Target {
  Key?: string;
  Values?: string[];
}

/** What StartAutomationExecution (and the plug-in seam, and aws:executeAutomation) asks for. */
export interface StartRequest {
  documentName: string;
  documentVersion?: string;
  parameters?: Record<string, string[]>;
  mode?: string;
  targets?: Target[];
  targetMaps?: Record<string, string[]>[];
  targetParameterName?: string;
  targetLocations?: Record<string, unknown>[];
  maxConcurrency?: string;
  maxErrors?: string;
  tags?: { Key: string; Value: string }[];
  clientToken?: string;
  alarmConfiguration?: unknown;
  parentExecutionId?: string;
  parentStepExecutionId?: string;
  /** The id to give the execution (Change Manager names it before it creates the OpsItem); a new UUID otherwise. */
  executionId?: string;
  /** Change Manager: the execution of a change template, running the runbook composed from it. */
  changeRequest?: ChangeRequestStart;
}

/** What a change request adds to its execution (StartChangeRequestExecution). */
export interface ChangeRequestStart {
  /** The runbook the execution runs: the template's approval levels, the scheduled wait, the calendar check, the runbooks. */
  runbook: Record<string, any>;
  opsItemId: string;
  /** Shown back by GetAutomationExecution / DescribeAutomationExecutions. */
  info: ChangeRequestInfo;
  /** AutomationSubtype: ChangeRequest (the default), or AccessRequest for a just-in-time access request's approvals. */
  subtype?: "ChangeRequest" | "AccessRequest";
}

/** Document types whose executions run a composed runbook (`changeRequest.runbook`) instead of their own content. */
const COMPOSED_TYPES = ["Automation.ChangeTemplate", "ManualApprovalPolicy"];

export interface ChangeRequestInfo {
  ChangeRequestName?: string;
  /** Epoch ms. */
  ScheduledTime?: number;
  ScheduledEndTime?: number;
  Runbooks: ChangeRunbook[];
}

/** One child of a rate-controlled execution: its target and its parameters. */
export interface PlannedTarget {
  target: string;
  parameters: Record<string, string[]>;
  /** TargetMaps: this map's parameters as typed values (each map gives its own set). */
  typed?: Record<string, unknown>;
}

export interface PreparedStart {
  doc: ResolvedDocument;
  request: StartRequest;
  typed: Record<string, unknown>;
  identityArn: string;
  plan?: PlannedTarget[];
}

const invalidParameters = (message: string) => new ApiError("InvalidAutomationExecutionParametersException", message);

/** Only this account and region: TargetLocations elsewhere answer a clear error; here they are plain Targets. */
function localTargets(ctx: RequestContext, req: StartRequest): Target[] | undefined {
  if (!req.targetLocations?.length) return req.targets;
  let targets = req.targets;
  for (const loc of req.targetLocations) {
    const accounts = (loc.Accounts as string[] | undefined) ?? [];
    const regions = (loc.Regions as string[] | undefined) ?? [];
    const elsewhere = accounts.some((a) => a !== ctx.accountId) || regions.some((r) => r !== ctx.region);
    if (elsewhere) {
      throw new ApiError(
        "InvalidTarget",
        `openssm runs automations in this account and region only (${ctx.accountId}, ${ctx.region}); TargetLocations names ${[...accounts, ...regions].join(", ")}.`,
      );
    }
    if (loc.Targets) targets = loc.Targets as Target[];
  }
  return targets;
}

/** The targets of a rate-controlled execution, one child each. */
async function planTargets(ctx: RequestContext, req: StartRequest, doc: ResolvedDocument): Promise<PlannedTarget[] | undefined> {
  const given = req.parameters ?? {};
  if (req.targetMaps?.length) {
    if (req.targets?.length) throw invalidParameters("Give Targets or TargetMaps, not both.");
    return req.targetMaps.map((m) => ({ target: JSON.stringify(m), parameters: { ...given, ...m } }));
  }
  const targets = localTargets(ctx, req);
  if (!targets?.length) return undefined;
  const name = req.targetParameterName;
  if (!name) throw invalidParameters("TargetParameterName is required with Targets: name the runbook parameter each target's value goes into.");
  if (!Object.hasOwn(doc.parameters, name)) {
    throw invalidParameters(`TargetParameterName ${name} is not a parameter of ${doc.name}; it declares ${Object.keys(doc.parameters).join(", ") || "none"}.`);
  }
  let values: string[];
  const keys = targets.map((t) => String(t.Key ?? ""));
  if (keys.every((k) => k === "ParameterValues")) values = targets.flatMap((t) => t.Values ?? []);
  else if (keys.some((k) => k === "ResourceGroup" || k.startsWith("AWS::") || k === "ParameterValues")) {
    throw new ApiError(
      "InvalidTarget",
      `openssm targets managed nodes (tag:<key>, tag-key, InstanceIds) or ParameterValues, not ${keys.join(", ")}; resource groups don't exist here.`,
    );
  } else values = await resolveTargets(ctx, { Targets: targets as { Key: string; Values: string[] }[] });
  if (values.length === 0) throw new ApiError("InvalidTarget", "The targets match no managed node: check the tags and that the nodes are registered.");
  return values.map((v) => ({ target: v, parameters: { ...given, [name]: [v] } }));
}

function checkRate(value: string | undefined, what: string): void {
  if (value !== undefined && !/^([0-9]+|[0-9]{1,2}%|100%)$/.test(value)) {
    throw new ApiError("ValidationException", `${what} ${value} is not a number or a percentage such as 10 or 20%.`);
  }
}

/** Resolves the runbook, the parameters, the identity and the targets of a new execution; writes nothing. */
export async function prepareStart(ctx: RequestContext, request: StartRequest): Promise<PreparedStart> {
  let doc: ResolvedDocument;
  try {
    doc = await getDocumentForExecution(ctx, request.documentName, request.documentVersion);
  } catch (e) {
    if (e instanceof ApiError && e.code === "InvalidDocumentVersion") {
      throw new ApiError("AutomationDefinitionVersionNotFoundException", `${request.documentName} has no version ${request.documentVersion}.`);
    }
    if (e instanceof ApiError && e.code === "InvalidDocument") throw new ApiError("AutomationDefinitionNotFoundException", e.message);
    throw e;
  }
  if (request.changeRequest && COMPOSED_TYPES.includes(doc.documentType)) {
    doc = { ...doc, content: request.changeRequest.runbook };
  } else if (doc.documentType !== "Automation") {
    throw new ApiError(
      "AutomationDefinitionNotFoundException",
      `${doc.name} is a ${doc.documentType} document; StartAutomationExecution runs Automation runbooks.`,
    );
  }
  checkRate(request.maxConcurrency, "MaxConcurrency");
  checkRate(request.maxErrors, "MaxErrors");
  const plan = await planTargets(ctx, request, doc);
  let typed: Record<string, unknown>;
  try {
    typed = await resolveParameters(ctx, doc, plan ? plan[0].parameters : request.parameters);
  } catch (e) {
    if (e instanceof ApiError && e.code === "InvalidParameters")
      throw invalidParameters(`${plan && request.targetMaps?.length ? "TargetMaps[0]: " : ""}${e.message}`);
    throw e;
  }
  if (plan && request.targetMaps?.length) {
    for (const [i, target] of plan.entries()) {
      try {
        target.typed = i === 0 ? typed : await resolveParameters(ctx, doc, target.parameters);
      } catch (e) {
        if (e instanceof ApiError && e.code === "InvalidParameters") throw invalidParameters(`TargetMaps[${i}]: ${e.message}`);
        throw e;
      }
    }
  }
  if (plan && request.targetParameterName) delete typed[request.targetParameterName];
  const runbook = toRunbook(doc.content);
  let assumeRole: string | undefined;
  if (runbook.assumeRole) {
    const v = await resolveReferences(
      runbook.assumeRole,
      {
        parameters: typed,
        variables: {},
        stepOutputs: new Map(),
        globals: globalValues(ctx.scope, "", ctx.now().getTime()),
        readParameter: async () => "",
      },
      { secure: false },
    ).catch(() => "");
    assumeRole = typeof v === "string" && v.trim() ? v.trim() : undefined;
  }
  const identityArn = await executionPrincipalArn(ctx, assumeRole);
  return { doc, request, typed, identityArn, plan };
}

function variablesOf(content: Record<string, any>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((content.variables ?? {}) as Record<string, { default?: unknown }>)) out[k] = v?.default ?? null;
  return out;
}

/** The row of a new execution (a plain one, a rate-control parent, or one child of it). */
export function executionRow(
  ctx: RequestContext,
  p: PreparedStart,
  opts: { id: string; target?: PlannedTarget; parentId?: string; typed?: Record<string, unknown> },
): ExecutionRow {
  const now = ctx.now().getTime();
  const req = p.request;
  const parent = p.plan !== undefined && !opts.target;
  const typed = opts.typed ?? p.typed;
  const firstStep = toRunbook(p.doc.content).mainSteps[0]?.name ?? END;
  return {
    execution_id: opts.id,
    account_id: ctx.accountId,
    region: ctx.region,
    document_name: p.doc.name,
    document_version: p.doc.version,
    runbook: JSON.stringify(p.doc.content),
    mode: req.mode === "Interactive" && !parent ? "Interactive" : "Auto",
    status: "Pending",
    failure_message: null,
    parameters: JSON.stringify(opts.target ? opts.target.parameters : toApiParameterValues(typed)),
    typed_parameters: JSON.stringify(typed),
    variables: JSON.stringify(variablesOf(p.doc.content)),
    outputs: "{}",
    executed_by: ctx.principal.arn,
    identity_arn: p.identityArn,
    parent_execution_id: opts.parentId ?? req.parentExecutionId ?? null,
    targets: parent ? JSON.stringify(req.targets ?? req.targetLocations?.[0]?.Targets ?? []) : null,
    target_maps: parent && req.targetMaps ? JSON.stringify(req.targetMaps) : null,
    target_parameter_name: req.targetParameterName ?? null,
    max_concurrency: parent ? (req.maxConcurrency ?? "10") : null,
    max_errors: parent ? (req.maxErrors ?? "0") : null,
    resolved_targets: parent ? JSON.stringify(p.plan) : null,
    target: opts.target?.target ?? null,
    ...freshProgress(parent ? null : req.mode === "Interactive" ? WAIT : firstStep, now),
    alarm_configuration: req.alarmConfiguration ? JSON.stringify(req.alarmConfiguration) : null,
    client_token: req.clientToken ?? null,
    parent_step_execution_id: req.parentStepExecutionId ?? null,
    automation_subtype: req.changeRequest && !opts.target ? (req.changeRequest.subtype ?? "ChangeRequest") : null,
    ops_item_id: req.changeRequest && !opts.target ? req.changeRequest.opsItemId : null,
    change_request: req.changeRequest && !opts.target ? JSON.stringify(req.changeRequest.info) : null,
  };
}

/** The progress columns of an execution that has not started yet: it begins at `nextStep`, due now. */
export function freshProgress(nextStep: string | null, now: number) {
  return {
    children_started: 0,
    children_done: 0,
    children_failed: 0,
    next_step: nextStep,
    current_step_name: null,
    current_action: null,
    stop_requested: null,
    started_at: now,
    ended_at: null,
    wake_at: now,
    lease_owner: null,
    lease_until: null,
  };
}

/** Records a new execution (Pending) and its tags; the executor takes it from there. Returns its id. */
export async function insertExecution(ctx: RequestContext, p: PreparedStart): Promise<string> {
  return ctx.transaction((tx) => writeExecution(tx, ctx, p));
}

/** Writes a prepared execution (row, tags, Pending event) in the caller's transaction; the caller kicks the executor after the commit. */
export async function writeExecution(tx: Tx, ctx: RequestContext, p: PreparedStart): Promise<string> {
  const id = p.request.executionId ?? randomUUID();
  const row = executionRow(ctx, p, { id });
  await automationDb(tx.db).insertInto("automation_executions").values(row).execute();
  if (p.request.tags?.length) await putTags(tx.db, ctx.scope, EXECUTION_TAG_TYPE, id, p.request.tags);
  tx.publish(executionEvent(row, "Pending", row.started_at));
  return id;
}

/**
 * Starts an execution as the context's principal, as StartAutomationExecution does: resolves it,
 * checks ssm:StartAutomationExecution on the runbook (and iam:PassRole for its assume role) and
 * records it. The caller hands the id to the executor. Returns the execution id.
 */
export async function createExecution(ctx: RequestContext, request: StartRequest): Promise<string> {
  const prepared = await prepareStart(ctx, request);
  await ctx.authorize("ssm:StartAutomationExecution", [{ arn: definitionArn(ctx.scope, prepared.doc.name, request.documentVersion ?? "$DEFAULT") }]);
  return insertExecution(ctx, prepared);
}

/** A finished execution started with the same ClientToken, for idempotency. */
export async function byClientToken(ctx: RequestContext, token: string): Promise<ExecutionRow | undefined> {
  return automationDb(ctx.services.db)
    .selectFrom("automation_executions")
    .selectAll()
    .where("account_id", "=", ctx.accountId)
    .where("region", "=", ctx.region)
    .where("client_token", "=", token)
    .executeTakeFirst();
}

import { createHash } from "node:crypto";
import type { InstanceAssociationOutputLocation, Target } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { nextOccurrence, parseSchedule, type Schedule, ScheduleError } from "../../scheduler/expressions.js";
import { calendarState } from "../calendar/index.js";
import { getDocumentForExecution, type ResolvedDocument, resolveParameters } from "../documents/index.js";

/** Every setting of one association version (what UpdateAssociation replaces and ListAssociationVersions shows). */
export interface AssociationSpec {
  DocumentVersion?: string;
  InstanceId?: string;
  Targets?: Target[];
  Parameters?: Record<string, string[]>;
  ScheduleExpression?: string;
  ScheduleOffset?: number;
  ApplyOnlyAtCronInterval?: boolean;
  MaxConcurrency?: string;
  MaxErrors?: string;
  ComplianceSeverity?: string;
  SyncCompliance?: string;
  CalendarNames?: string[];
  Duration?: number;
  OutputLocation?: InstanceAssociationOutputLocation;
  AutomationTargetParameterName?: string;
}

/** What CreateAssociation, CreateAssociationBatch entries and UpdateAssociation give. */
export interface SpecInput extends AssociationSpec {
  Name?: string;
  AssociationName?: string;
  TargetMaps?: unknown[];
  TargetLocations?: unknown[];
  AlarmConfiguration?: unknown;
  AssociationDispatchAssumeRole?: string;
}

/** AWS's shortest rate for associations. */
export const MIN_RATE_MINUTES = 30;

const INSTANCE = /^(i-(\w{8}|\w{17})|mi-\w{17})$/;

/** The association's schedule, parsed (undefined: applied once, and on demand). */
export function scheduleOf(spec: AssociationSpec): Schedule | undefined {
  return spec.ScheduleExpression ? parseSchedule(spec.ScheduleExpression, { minRateMinutes: MIN_RATE_MINUTES }) : undefined;
}

/** When the schedule applies the association after `after` (rate: every period counted from `lastApplied`). */
export function nextRun(spec: AssociationSpec, after: number, lastApplied: number): number | undefined {
  const s = scheduleOf(spec);
  if (!s) return undefined;
  if (s.kind === "rate") return nextOccurrence(s, after, { anchor: Math.min(lastApplied, after) });
  return nextOccurrence(s, after, { offsetDays: spec.ScheduleOffset });
}

/** Whether creating (or updating) the association applies it at once: not for at(), nor cron with ApplyOnlyAtCronInterval. */
export function appliesAtOnce(spec: AssociationSpec): boolean {
  const s = scheduleOf(spec);
  if (s?.kind === "at") return false;
  if (s?.kind === "cron" && spec.ApplyOnlyAtCronInterval) return false;
  return true;
}

export function checksumOf(name: string, version: number, spec: AssociationSpec): string {
  return createHash("sha256")
    .update(JSON.stringify([name, version, spec]))
    .digest("hex");
}

function checkTargets(spec: SpecInput): void {
  const hasTargets = (spec.Targets?.length ?? 0) > 0;
  if (spec.InstanceId && hasTargets) throw new ApiError("InvalidTarget", "Give either InstanceId or Targets, not both.");
  if (!spec.InstanceId && !hasTargets) {
    throw new ApiError(
      "InvalidTarget",
      "Name the nodes the association applies to: Targets (for example Key=tag:Environment,Values=Production) or InstanceId.",
    );
  }
  if (spec.InstanceId && !INSTANCE.test(spec.InstanceId)) throw new ApiError("InvalidInstanceId", `${spec.InstanceId} is not a managed node id.`);
  for (const t of spec.Targets ?? []) {
    const key = String(t.Key ?? "");
    const values = t.Values ?? [];
    if (values.length === 0) throw new ApiError("InvalidTarget", `The target ${key} has no Values; give at least one.`);
    if (key === "InstanceIds") {
      const bad = values.find((v) => v !== "*" && !INSTANCE.test(v));
      if (bad) throw new ApiError("InvalidTarget", `${bad} is not a managed node id; InstanceIds takes node ids or *.`);
    } else if (key.startsWith("tag:") && key.length > 4) {
      // any values
    } else if (key === "tag-key") {
      // any keys
    } else if (key.startsWith("resource-groups:") || key === "ResourceGroup") {
      throw new ApiError(
        "InvalidTarget",
        `openssm has no AWS Resource Groups yet, so the target key ${key} is not supported; target nodes by tag:<key>, tag-key or InstanceIds.`,
      );
    } else {
      throw new ApiError("InvalidTarget", `${key || "(no Key)"} is not a target key for associations; use InstanceIds, tag:<key> or tag-key.`);
    }
  }
}

function checkSchedule(spec: SpecInput, now: number): void {
  let s: Schedule | undefined;
  try {
    s = scheduleOf(spec);
  } catch (e) {
    if (e instanceof ScheduleError) throw new ApiError("InvalidSchedule", e.message);
    throw e;
  }
  if (spec.ScheduleOffset !== undefined && s?.kind !== "cron") {
    throw new ApiError("InvalidSchedule", `ScheduleOffset ${spec.ScheduleOffset} works only with a cron(...) ScheduleExpression.`);
  }
  if (spec.ApplyOnlyAtCronInterval && s?.kind !== "cron") {
    throw new ApiError("InvalidSchedule", "ApplyOnlyAtCronInterval works only with a cron(...) ScheduleExpression (not rate, at, or none).");
  }
  if (spec.Duration !== undefined && (s?.kind !== "cron" || !spec.ApplyOnlyAtCronInterval)) {
    throw new ApiError("InvalidSchedule", "Duration works only with a cron(...) ScheduleExpression and ApplyOnlyAtCronInterval true.");
  }
  if (s?.kind === "at" && s.at && nextOccurrence(s, now) === undefined) {
    // A time already past never applies: AWS refuses it.
    throw new ApiError("InvalidSchedule", `The schedule expression ${spec.ScheduleExpression} is not valid: the time is in the past.`);
  }
}

/**
 * Checks a new association version: document (InvalidDocument / InvalidDocumentVersion), targets,
 * parameters against the document (InvalidParameters naming the parameter), schedule (InvalidSchedule
 * naming the expression and what is wrong), calendars, and what openssm does not offer (TargetMaps,
 * TargetLocations, alarms) refused rather than ignored. Returns the stored spec and the document.
 */
export async function checkSpec(ctx: RequestContext, input: SpecInput): Promise<{ spec: AssociationSpec; doc: ResolvedDocument }> {
  const name = String(input.Name ?? "");
  if (input.TargetMaps?.length) throw new ApiError("InvalidTargetMaps", "openssm does not support TargetMaps yet; give Targets.");
  if (input.TargetLocations?.length) {
    throw new ApiError("ValidationException", "openssm runs associations in the caller's own account and region: TargetLocations is not supported.");
  }
  if (input.AlarmConfiguration) throw new ApiError("ValidationException", "openssm has no CloudWatch alarms: AlarmConfiguration is not supported.");
  const doc = await getDocumentForExecution(ctx, name, input.DocumentVersion);
  if (doc.documentType !== "Command" && doc.documentType !== "Policy") {
    throw new ApiError(
      "InvalidDocument",
      `${name} is a document of type ${doc.documentType}; associations in openssm run Command and Policy documents (Automation runbooks are not supported here yet).`,
    );
  }
  checkTargets(input);
  checkSchedule(input, ctx.services.clock.now());
  try {
    await resolveParameters(ctx, doc, input.Parameters);
  } catch (e) {
    // A {{ssm:...}} reference to a parameter created later is resolved when the association applies.
    if (!(e instanceof ApiError) || e.code === "InvalidParameters") throw e;
  }
  if (input.CalendarNames?.length) await calendarState(ctx, input.CalendarNames);
  const spec: AssociationSpec = {
    DocumentVersion: input.DocumentVersion,
    InstanceId: input.InstanceId,
    Targets: input.InstanceId ? [{ Key: "InstanceIds", Values: [input.InstanceId] }] : input.Targets,
    Parameters: input.Parameters,
    ScheduleExpression: input.ScheduleExpression,
    ScheduleOffset: input.ScheduleOffset,
    ApplyOnlyAtCronInterval: input.ApplyOnlyAtCronInterval,
    MaxConcurrency: input.MaxConcurrency,
    MaxErrors: input.MaxErrors,
    ComplianceSeverity: input.ComplianceSeverity,
    SyncCompliance: input.SyncCompliance,
    CalendarNames: input.CalendarNames?.length ? input.CalendarNames : undefined,
    Duration: input.Duration,
    OutputLocation: input.OutputLocation,
    AutomationTargetParameterName: input.AutomationTargetParameterName,
  };
  for (const k of Object.keys(spec) as (keyof AssociationSpec)[]) if (spec[k] === undefined) delete spec[k];
  return { spec, doc };
}

/** How many nodes may run at once: a count, or a percentage of the targets (at least one); all when unset. */
export function concurrencyLimit(value: string | undefined, targets: number): number {
  if (!value) return Math.max(1, targets);
  if (value.endsWith("%")) return Math.max(1, Math.floor((targets * Number(value.slice(0, -1))) / 100));
  return Math.max(1, Number(value));
}

/** How many failures are tolerated before the rest of an execution is skipped; unset: all of them. */
export function errorLimit(value: string | undefined, targets: number): number {
  if (!value) return Number.POSITIVE_INFINITY;
  if (value.endsWith("%")) return Math.floor((targets * Number(value.slice(0, -1))) / 100);
  return Number(value);
}

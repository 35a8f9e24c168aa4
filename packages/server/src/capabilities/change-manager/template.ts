import { ApiError } from "../../errors.js";
import type { NamedApprover } from "./approvers.js";

/** AWS's limit: a change template has at most five approval levels. */
export const MAX_APPROVAL_LEVELS = 5;

/** One approval level: an aws:approve step of the template. */
export interface ApprovalLevel {
  stepName: string;
  message?: string;
  approvers: NamedApprover[];
  minRequired: number;
  timeoutSeconds?: number;
}

/** What Change Manager reads from an Automation.ChangeTemplate's content. */
export interface ChangeTemplate {
  levels: ApprovalLevel[];
  calendars: string[];
  emergency: boolean;
  autoApprovable: boolean;
  /** The runbooks the template allows (executableRunBooks); empty: any. */
  runbooks: { name: string; version?: string }[];
  description?: string;
}

const truthy = (v: unknown) => v === true || v === "true" || v === "True";

function approversOfStep(inputs: Record<string, any>): NamedApprover[] {
  const enhanced = inputs.EnhancedApprovals as Record<string, any> | undefined;
  const list = enhanced?.Approvers ?? inputs.Approvers ?? [];
  return (Array.isArray(list) ? list : [list]).map((a: any) =>
    typeof a === "object" && a !== null ? { approver: String(a.approver ?? a.Approver ?? ""), type: a.type ?? a.Type } : { approver: String(a) },
  );
}

/** Reads a change template; throws InvalidAutomationExecutionParametersException when it has more than five approval levels. */
export function readTemplate(name: string, content: Record<string, any>): ChangeTemplate {
  const steps = (Array.isArray(content.mainSteps) ? content.mainSteps : []) as Record<string, any>[];
  const levels = steps
    .filter((s) => s.action === "aws:approve")
    .map((s) => {
      const inputs = (s.inputs ?? {}) as Record<string, any>;
      const min = Number(inputs.EnhancedApprovals?.MinRequiredApprovals ?? inputs.MinRequiredApprovals ?? 1);
      return {
        stepName: String(s.name),
        message: inputs.Message === undefined ? undefined : String(inputs.Message),
        approvers: approversOfStep(inputs),
        minRequired: Number.isFinite(min) && min >= 1 ? Math.floor(min) : 1,
        timeoutSeconds: s.timeoutSeconds === undefined ? undefined : Number(s.timeoutSeconds),
      };
    });
  if (levels.length > MAX_APPROVAL_LEVELS) {
    throw new ApiError(
      "InvalidAutomationExecutionParametersException",
      `Change template ${name} has ${levels.length} approval levels (aws:approve steps); Change Manager allows at most ${MAX_APPROVAL_LEVELS}. Merge levels and update the template.`,
    );
  }
  const calendars: string[] = [];
  for (const key of ["changeCalendar", "changeCalendars"]) {
    const v = content[key];
    if (v === undefined) continue;
    for (const entry of Array.isArray(v) ? v : [v]) {
      const n = typeof entry === "string" ? entry : entry?.documentName;
      if (typeof n === "string" && n) calendars.push(n);
    }
  }
  const runbooks = (Array.isArray(content.executableRunBooks) ? content.executableRunBooks : []).map((r: any) => ({
    name: String(r?.name ?? ""),
    version: r?.version === undefined ? undefined : String(r.version),
  }));
  return {
    levels,
    calendars: [...new Set(calendars)],
    emergency: truthy(content.emergencyChange),
    autoApprovable: truthy(content.autoApprovable),
    runbooks,
    description: typeof content.description === "string" ? content.description : undefined,
  };
}

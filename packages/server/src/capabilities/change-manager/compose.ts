import type { Runbook } from "@aws-sdk/client-ssm";

/** The step names of a composed change request runbook (GetAutomationExecution shows them). */
export const STEP = {
  wait: "WaitForScheduledTime",
  calendar: "CheckChangeCalendar",
  override: "ChangeCalendarOverride",
  run: "RunChangeRunbook",
} as const;

export interface ComposeInput {
  /** The template's content: its parameters (and assumeRole) stay; its steps are replaced. */
  template: Record<string, any>;
  /** Each approval level with its approvers resolved to ARNs; empty when the request was auto-approved. */
  levels: { stepName: string; message?: string; approvers: string[]; minRequired: number; timeoutSeconds?: number }[];
  /** ISO time to wait for before the runbook runs. */
  scheduledTime?: string;
  /** Calendars checked again at the scheduled time; empty for emergency changes and templates without any. */
  calendars: string[];
  /** Who may let the change run although a calendar is closed then (none: the change fails). */
  overrideApprovers: string[];
  runbook: Runbook;
}

/**
 * The runbook a change request's automation execution runs, built from its template: one aws:approve
 * step per approval level (any rejection fails it), an aws:sleep until the scheduled time, the change
 * calendar checked again then (GetCalendarState must be OPEN; a closed calendar fails the change, or
 * waits for an override approver when the account names some), then the change's runbook as a child
 * automation (aws:executeAutomation), which runs Run Command on the targeted nodes.
 */
export function composeRunbook(c: ComposeInput): Record<string, any> {
  const steps: Record<string, any>[] = [];
  for (const level of c.levels) {
    steps.push({
      name: level.stepName,
      action: "aws:approve",
      ...(level.timeoutSeconds ? { timeoutSeconds: level.timeoutSeconds } : {}),
      inputs: { Approvers: level.approvers, MinRequiredApprovals: level.minRequired, ...(level.message ? { Message: level.message } : {}) },
    });
  }
  if (c.scheduledTime) steps.push({ name: STEP.wait, action: "aws:sleep", inputs: { Timestamp: c.scheduledTime } });
  if (c.calendars.length) {
    steps.push({
      name: STEP.calendar,
      action: "aws:assertAwsResourceProperty",
      isCritical: false,
      onFailure: c.overrideApprovers.length ? `step:${STEP.override}` : "Abort",
      nextStep: STEP.run,
      inputs: { Service: "ssm", Api: "GetCalendarState", CalendarNames: c.calendars, PropertySelector: "$.State", DesiredValues: ["OPEN"] },
    });
    if (c.overrideApprovers.length) {
      steps.push({
        name: STEP.override,
        action: "aws:approve",
        nextStep: STEP.run,
        inputs: {
          Approvers: c.overrideApprovers,
          MinRequiredApprovals: 1,
          Message: `The change calendar (${c.calendars.join(", ")}) is closed at the scheduled time; approve to run the change anyway.`,
        },
      });
    }
  }
  const r = c.runbook;
  steps.push({
    name: STEP.run,
    action: "aws:executeAutomation",
    isEnd: true,
    inputs: {
      DocumentName: r.DocumentName,
      ...(r.DocumentVersion ? { DocumentVersion: r.DocumentVersion } : {}),
      ...(r.Parameters ? { RuntimeParameters: r.Parameters } : {}),
      ...(r.Targets?.length ? { Targets: r.Targets } : {}),
      ...(r.TargetParameterName ? { TargetParameterName: r.TargetParameterName } : {}),
      ...(r.MaxConcurrency ? { MaxConcurrency: r.MaxConcurrency } : {}),
      ...(r.MaxErrors ? { MaxErrors: r.MaxErrors } : {}),
    },
  });
  const { mainSteps: _steps, outputs: _outputs, ...rest } = c.template;
  return { ...rest, schemaVersion: "0.3", mainSteps: steps };
}

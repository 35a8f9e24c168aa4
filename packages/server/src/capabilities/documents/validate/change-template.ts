import { validateAutomation } from "./automation.js";
import type { Checker } from "./checker.js";
import type { ValidatedContent } from "./result.js";

/**
 * Change Manager templates (Automation.ChangeTemplate, schemaVersion 0.3): an automation document
 * with an aws:approve step, the runbooks a change may run, and optionally a change calendar.
 */
export function validateChangeTemplate(c: Checker, content: Record<string, any>): ValidatedContent {
  const result = validateAutomation(c, content);
  c.optionalString(content.templateInformation, ["templateInformation"]);
  c.booleanish(content.emergencyChange, ["emergencyChange"]);
  c.booleanish(content.autoApprovable, ["autoApprovable"]);
  const steps = content.mainSteps as Record<string, any>[];
  if (!steps.some((s) => s.action === "aws:approve"))
    c.fail(["mainSteps"], "must hold an aws:approve step: a change template names who approves its change requests.");
  const levels = steps.filter((s) => s.action === "aws:approve").length;
  if (levels > 5) c.fail(["mainSteps"], `has ${levels} approval levels (aws:approve steps); Change Manager allows at most 5. Merge levels.`);
  if (content.executableRunBooks !== undefined) {
    c.array(content.executableRunBooks, ["executableRunBooks"], "a list of {name, version}").forEach((r, i) => {
      const book = c.object(r, ["executableRunBooks", i], "an object with name and version");
      c.string(book.name, ["executableRunBooks", i, "name"], "a runbook name");
    });
  }
  for (const key of ["changeCalendar", "changeCalendars"]) {
    const v = content[key];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    list.forEach((entry, i) => {
      const path = Array.isArray(v) ? [key, i] : [key];
      if (typeof entry === "string") return;
      const cal = c.object(entry, path, "a calendar name or an object with documentName");
      c.string(cal.documentName, [...path, "documentName"], "the name or ARN of a ChangeCalendar document");
    });
  }
  return { ...result, platformTypes: [] };
}

import type { DocumentStep, ParsedDocument } from "../documents/document-steps.js";
import { evaluatePrecondition } from "../documents/preconditions.js";
import type { PlatformType } from "../health/platform-info.js";
import { lookupPlugin } from "../plugins/catalog.js";
import type { Plugin } from "../plugins/plugin.js";
import type { StepRecord } from "./command-record.js";

/** Exit codes that end a document early: 168 marks the step succeeded, 169 failed. */
export const EXIT_WITH_SUCCESS = 168;
export const EXIT_WITH_FAILURE = 169;

export type StepDecision = { kind: "execute"; plugin: Plugin } | { kind: "skip"; message: string } | { kind: "fail"; message: string };

/** A string or boolean property of a step's inputs (onFailure, onSuccess, finallyStep). */
export function stepProperty(step: DocumentStep, name: string): string {
  const inputs = step.inputs;
  if (!inputs || typeof inputs !== "object" || Array.isArray(inputs)) return "";
  const v = (inputs as Record<string, unknown>)[name];
  return typeof v === "string" ? v : typeof v === "boolean" ? String(v) : "";
}

function skippedByControlFlow(steps: DocumentStep[], records: StepRecord[], i: number): boolean {
  const finallyStep = stepProperty(steps[i], "finallyStep") === "true";
  if (finallyStep && i === steps.length - 1) return false;
  for (let j = 0; j < i; j++) {
    const r = records[j];
    if (!r) continue;
    const failedExit = r.status === "Failed" && stepProperty(steps[j], "onFailure") === "exit";
    const successExit = r.status === "Success" && stepProperty(steps[j], "onSuccess") === "exit";
    if (r.code === EXIT_WITH_SUCCESS || r.code === EXIT_WITH_FAILURE || failedExit || successExit) return true;
  }
  return false;
}

/** What to do with step `i`, decided as amazon-ssm-agent decides it (same messages). */
export function decideStep(doc: ParsedDocument, records: StepRecord[], i: number, platform: PlatformType): StepDecision {
  const step = doc.steps[i];
  const { action, id } = step;
  if (skippedByControlFlow(doc.steps, records, i)) {
    return { kind: "skip", message: `Plugin with name ${action} and id ${id} skipped due to prior step with an exit condition` };
  }
  const found = lookupPlugin(action, platform);
  const unknown = `Plugin with name ${action} is not supported by this version of ssm agent, please update to latest version. Step name: ${id}`;
  const hasPrecondition = step.precondition !== undefined && Object.keys(step.precondition).length > 0;
  if (!doc.preconditionsEnabled) {
    if (!found.known) return { kind: "fail", message: unknown };
    if (!found.supported) return { kind: "fail", message: `Plugin with name ${action} is not supported in current platform. Step name: ${id}` };
    if (hasPrecondition) return { kind: "fail", message: `Precondition is not supported for document schema version prior to 2.2. Step name: ${id}` };
    if (!found.plugin) return { kind: "fail", message: `Plugin with name ${action} not found. Step name: ${id}` };
    return { kind: "execute", plugin: found.plugin };
  }
  const unsupported = `Step execution skipped due to unsupported plugin: ${action}. Step name: ${id}`;
  if (!hasPrecondition) {
    if (!found.known) return { kind: "fail", message: unknown };
    if (found.plugin) return { kind: "execute", plugin: found.plugin };
    return { kind: "skip", message: unsupported };
  }
  const verdict = evaluatePrecondition(step, platform);
  if (verdict.allowed && !found.known) return { kind: "fail", message: unknown };
  if (!found.plugin) return { kind: "skip", message: unsupported };
  if (!verdict.allowed) {
    return { kind: "skip", message: `Step execution skipped due to unsatisfied preconditions: '${verdict.problems.join(", ")}'. Step name: ${id}` };
  }
  if (verdict.problems.length > 0) {
    return { kind: "fail", message: `Unrecognized precondition(s): '${verdict.problems.join(", ")}', please update agent to latest version. Step name: ${id}` };
  }
  return { kind: "execute", plugin: found.plugin };
}

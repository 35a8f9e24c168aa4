/**
 * A runbook (schemaVersion 0.3) as the executor reads it: its steps in order, each step's flow
 * properties with their defaults, and the steps nested in aws:loop. The documents capability has
 * validated the content at CreateDocument; this only gives it types.
 */

export interface OutputDeclaration {
  Name: string;
  Selector: string;
  Type: string;
}

export interface RunbookStep {
  name: string;
  action: string;
  inputs: Record<string, unknown>;
  outputs: OutputDeclaration[];
  onFailure?: string;
  onCancel?: string;
  nextStep?: string;
  isEnd: boolean;
  isCritical: boolean;
  maxAttempts: number;
  timeoutSeconds?: number;
}

export interface Runbook {
  description?: string;
  assumeRole?: string;
  parameters: Record<string, { type?: string; default?: unknown }>;
  variables: Record<string, { type?: string; default?: unknown }>;
  mainSteps: RunbookStep[];
  outputs: string[];
}

const bool = (v: unknown, dflt: boolean): boolean => (v === undefined ? dflt : v === true || v === "true" || v === "True");
const int = (v: unknown): number | undefined => {
  const n = v === undefined || v === null || v === "" ? Number.NaN : Number(v);
  return Number.isFinite(n) ? n : undefined;
};

export function toStep(raw: Record<string, any>): RunbookStep {
  return {
    name: String(raw.name),
    action: String(raw.action),
    inputs: (raw.inputs ?? {}) as Record<string, unknown>,
    outputs: Array.isArray(raw.outputs) ? raw.outputs : [],
    onFailure: raw.onFailure,
    onCancel: raw.onCancel,
    nextStep: raw.nextStep,
    isEnd: bool(raw.isEnd, false),
    isCritical: bool(raw.isCritical, true),
    maxAttempts: Math.max(1, int(raw.maxAttempts) ?? 1),
    timeoutSeconds: int(raw.timeoutSeconds),
  };
}

export function toRunbook(content: Record<string, any>): Runbook {
  return {
    description: content.description,
    assumeRole: typeof content.assumeRole === "string" ? content.assumeRole : undefined,
    parameters: content.parameters ?? {},
    variables: content.variables ?? {},
    mainSteps: (content.mainSteps ?? []).map(toStep),
    outputs: Array.isArray(content.outputs) ? content.outputs.map(String) : [],
  };
}

/** The steps an aws:loop runs, in order. */
export function loopSteps(step: RunbookStep): RunbookStep[] {
  const steps = step.inputs.Steps;
  return Array.isArray(steps) ? steps.map((s) => toStep(s as Record<string, any>)) : [];
}

/** Finds a step by name among the main steps and the steps of loops. */
export function findStep(runbook: Runbook, name: string): { step: RunbookStep; loop?: RunbookStep } | undefined {
  for (const s of runbook.mainSteps) {
    if (s.name === name) return { step: s };
    if (s.action === "aws:loop") {
      const inner = loopSteps(s).find((x) => x.name === name);
      if (inner) return { step: inner, loop: s };
    }
  }
  return undefined;
}

/** The main step after `name` in document order, if any. */
export function stepAfter(runbook: Runbook, name: string): string | undefined {
  const i = runbook.mainSteps.findIndex((s) => s.name === name);
  return i >= 0 ? runbook.mainSteps[i + 1]?.name : undefined;
}

/** The default timeout of an action when the step names none (seconds; undefined: none). */
export function defaultTimeout(action: string): number | undefined {
  switch (action) {
    case "aws:approve":
      return 7 * 24 * 3600;
    case "aws:executeScript":
      return 600;
    case "aws:waitForAwsResourceProperty":
      return 3600;
    case "aws:runCommand":
      return undefined;
    default:
      return undefined;
  }
}

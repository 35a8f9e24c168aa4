import type { Path } from "../content.js";
import { type Checker, describe, schemaVersionOf, unsupportedSchema } from "./checker.js";
import { AUTOMATION_ACTIONS, NATURAL_OUTPUTS, OUTPUT_TYPES, REFUSED_AUTOMATION_ACTIONS } from "./automation-actions.js";
import { validateParametersBlock } from "./parameters-block.js";
import { ALL_PLATFORMS } from "./plugins.js";
import type { ValidatedContent } from "./result.js";

/** Step names are referenced as {{ StepName.Output }}, so no dots. */
const STEP_NAME = /^[a-zA-Z0-9_-]{1,100}$/;

interface StepTarget {
  path: Path;
  target: string;
}

/** What each step gives: its action and its outputs (declared and natural), for checking references. */
type StepOutputs = Map<string, { path: Path; outputs: Set<string> }>;

const REFERENCE = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** Every "{{ ... }}" reference in a value, with the path where it is. */
function referencesIn(v: unknown, path: Path, into: { path: Path; ref: string }[]): void {
  if (typeof v === "string") for (const m of v.matchAll(REFERENCE)) into.push({ path, ref: m[1] });
  else if (Array.isArray(v)) v.forEach((x, i) => referencesIn(x, [...path, i], into));
  else if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) referencesIn(x, [...path, k], into);
}

function checkStep(c: Checker, raw: unknown, path: Path, names: Set<string>, targets: StepTarget[], outputs: StepOutputs, inLoop = false): void {
  const step = c.object(raw, path, "a step object with name, action and inputs");
  const name = c.string(step.name, [...path, "name"], "a step name");
  if (!STEP_NAME.test(name)) c.fail([...path, "name"], "may contain only letters, digits, '_' and '-' (at most 100 characters).");
  if (names.has(name)) c.fail([...path, "name"], `'${name}' is used by an earlier step; step names must be unique.`);
  names.add(name);
  const action = c.string(step.action, [...path, "action"], "an automation action such as aws:executeAwsApi");
  if (REFUSED_AUTOMATION_ACTIONS.has(action)) {
    c.fail(
      [...path, "action"],
      `${action} acts on AWS resources (EC2, CloudFormation, Lambda, Step Functions) that a self-hosted openssm fleet does not have; use aws:runCommand on managed nodes, aws:executeScript or aws:executeAwsApi instead.`,
    );
  }
  const required = AUTOMATION_ACTIONS[action];
  if (!required) {
    const hint = action.startsWith("aws:run") && !AUTOMATION_ACTIONS[action] ? " Command plugins such as aws:runShellScript run through aws:runCommand." : "";
    c.fail([...path, "action"], `'${action}' is not an automation action.${hint} Actions: ${Object.keys(AUTOMATION_ACTIONS).join(", ")}.`);
  }
  const inputs = step.inputs === undefined && required.length === 0 ? {} : c.object(step.inputs, [...path, "inputs"], `an object of ${action} inputs`);
  if (action === "aws:approve" && inputs.EnhancedApprovals !== undefined) {
    const enhanced = c.object(inputs.EnhancedApprovals, [...path, "inputs", "EnhancedApprovals"]);
    c.required(enhanced, ["Approvers"], [...path, "inputs", "EnhancedApprovals"], action);
  } else c.required(inputs, required, [...path, "inputs"], action);
  for (const key of ["onFailure", "onCancel"] as const) {
    const v = step[key];
    if (v === undefined) continue;
    const text = c.string(v, [...path, key], "Abort, Continue or step:<step name>");
    if (text.startsWith("step:")) targets.push({ path: [...path, key], target: text.slice(5) });
    else if (!(key === "onFailure" ? ["Abort", "Continue"] : ["Abort"]).includes(text)) {
      c.fail([...path, key], `must be ${key === "onFailure" ? "Abort, Continue" : "Abort"} or step:<step name>, not ${describe(v)}.`);
    }
  }
  if (step.nextStep !== undefined) targets.push({ path: [...path, "nextStep"], target: c.string(step.nextStep, [...path, "nextStep"], "a step name") });
  c.booleanish(step.isEnd, [...path, "isEnd"]);
  c.booleanish(step.isCritical, [...path, "isCritical"]);
  c.integerish(step.maxAttempts, [...path, "maxAttempts"], 1);
  c.integerish(step.timeoutSeconds, [...path, "timeoutSeconds"], 1);
  if (action === "aws:branch") {
    const choices = c.array(inputs.Choices, [...path, "inputs", "Choices"], "a list of choices");
    if (choices.length === 0) c.fail([...path, "inputs", "Choices"], "must hold at least one choice.");
    choices.forEach((choice, i) => {
      const cp: Path = [...path, "inputs", "Choices", i];
      const ch = c.object(choice, cp, "a choice object with NextStep and a condition");
      targets.push({ path: [...cp, "NextStep"], target: c.string(ch.NextStep, [...cp, "NextStep"], "a step name") });
    });
    if (inputs.Default !== undefined)
      targets.push({ path: [...path, "inputs", "Default"], target: c.string(inputs.Default, [...path, "inputs", "Default"], "a step name") });
  }
  if (action === "aws:loop") {
    if (inLoop) c.fail([...path, "action"], "aws:loop steps can't be nested in another aws:loop.");
    if (inputs.Iterators === undefined && inputs.LoopCondition === undefined) {
      c.fail([...path, "inputs"], "aws:loop needs Iterators (a for-each loop) or LoopCondition (a do-while loop); without either it has no exit.");
    }
    if (inputs.Iterators !== undefined && inputs.LoopCondition !== undefined)
      c.fail([...path, "inputs"], "Give aws:loop Iterators or LoopCondition, not both.");
    c.integerish(inputs.MaxIterations, [...path, "inputs", "MaxIterations"], 1);
    const inner = c.array(inputs.Steps, [...path, "inputs", "Steps"], "a list of steps");
    if (inner.length === 0) c.fail([...path, "inputs", "Steps"], "must hold at least one step.");
    inner.forEach((s, i) => checkStep(c, s, [...path, "inputs", "Steps", i], names, targets, outputs, true));
  }
  const given = new Set(NATURAL_OUTPUTS[action] ?? []);
  outputs.set(name, { path, outputs: given });
  if (step.outputs !== undefined) {
    c.array(step.outputs, [...path, "outputs"]).forEach((o, i) => {
      const op: Path = [...path, "outputs", i];
      const out = c.object(o, op, "an output object with Name, Selector and Type");
      given.add(c.string(out.Name, [...op, "Name"], "the output's name"));
      const selector = c.string(out.Selector, [...op, "Selector"], "a JSONPath selector such as $.Reservations[0].Instances[0].State.Name");
      if (!selector.startsWith("$")) c.fail([...op, "Selector"], `must be a JSONPath expression starting with $, not ${describe(selector)}.`);
      c.oneOf(out.Type, OUTPUT_TYPES, [...op, "Type"]);
    });
  }
}

/** Automation runbooks (schemaVersion 0.3): steps, actions, branch and failure targets that exist, outputs with selectors. */
export function validateAutomation(c: Checker, content: Record<string, any>): ValidatedContent & { stepNames: Set<string> } {
  const schemaVersion = schemaVersionOf(c, content);
  if (schemaVersion !== "0.3") throw unsupportedSchema(c.documentType, schemaVersion, ["0.3"]);
  const description = c.optionalString(content.description, ["description"]);
  c.optionalString(content.assumeRole, ["assumeRole"]);
  const parameters = validateParametersBlock(c, content.parameters, { automation: true });
  const steps = c.array(content.mainSteps, ["mainSteps"], "a list of steps");
  if (steps.length === 0) c.fail(["mainSteps"], "must hold at least one step.");
  const names = new Set<string>();
  const targets: StepTarget[] = [];
  const outputs: StepOutputs = new Map();
  steps.forEach((s, i) => checkStep(c, s, ["mainSteps", i], names, targets, outputs));
  for (const t of targets) {
    if (!names.has(t.target)) c.fail(t.path, `names step '${t.target}', which the document does not have. Steps: ${[...names].join(", ")}.`);
  }
  const refs: { path: Path; ref: string }[] = [];
  steps.forEach((s, i) => referencesIn((s as Record<string, unknown>)?.inputs, ["mainSteps", i, "inputs"], refs));
  for (const r of refs) checkOutputReference(c, r.path, r.ref, outputs);
  if (content.outputs !== undefined) {
    c.array(content.outputs, ["outputs"], 'a list such as ["StepName.OutputName"]').forEach((o, i) => {
      const text = c.string(o, ["outputs", i], "StepName.OutputName");
      const step = text.split(".")[0];
      if (!text.includes(".") || !names.has(step)) c.fail(["outputs", i], `must be StepName.OutputName for a step of this document; '${text}' is not.`);
      checkOutputReference(c, ["outputs", i], text, outputs);
    });
  }
  return { schemaVersion, description, parameters, platformTypes: [...ALL_PLATFORMS], stepNames: names };
}

/** A reference to a step's output must name an output the step declares (or its action gives). */
function checkOutputReference(c: Checker, path: Path, ref: string, outputs: StepOutputs): void {
  if (/^(global|automation|variable|ssm|ssm-secure):/.test(ref)) return;
  const dot = ref.indexOf(".");
  if (dot <= 0) return;
  const step = outputs.get(ref.slice(0, dot));
  if (!step) return;
  const name = ref.slice(dot + 1);
  if (!step.outputs.has(name)) {
    c.fail(
      path,
      `{{ ${ref} }} selects the output ${name} of step ${ref.slice(0, dot)}, which declares ${step.outputs.size ? [...step.outputs].join(", ") : "no outputs"}; declare it under that step's outputs with a Selector.`,
    );
  }
}

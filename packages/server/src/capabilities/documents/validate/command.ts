import type { Path } from "../content.js";
import { type Checker, describe, isReference, schemaVersionOf, unsupportedSchema } from "./checker.js";
import { validateParametersBlock } from "./parameters-block.js";
import { ALL_PLATFORMS, checkPlugin, type Platform } from "./plugins.js";
import type { ValidatedContent } from "./result.js";

const STEP_NAME = /^[a-zA-Z0-9_.-]{1,100}$/;

function checkPrecondition(c: Checker, v: unknown, path: Path): Platform | undefined {
  const pre = c.object(v, path, 'an object such as {"StringEquals": ["platformType", "Linux"]}');
  const keys = Object.keys(pre);
  if (keys.length !== 1 || keys[0] !== "StringEquals") c.fail(path, `supports exactly one operator, StringEquals; found ${keys.join(", ") || "none"}.`);
  const operands = c.array(pre.StringEquals, [...path, "StringEquals"], "a list of two operands");
  if (operands.length !== 2 || !operands.every((o) => typeof o === "string")) c.fail([...path, "StringEquals"], "must hold exactly two strings.");
  const [left, right] = operands as string[];
  if (left === "platformType") {
    if (!(ALL_PLATFORMS as readonly string[]).includes(right)) c.fail([...path, "StringEquals", 1], `must be Windows, Linux or MacOS, not ${describe(right)}.`);
    return right as Platform;
  }
  if (!isReference(left)) c.fail([...path, "StringEquals", 0], `must be platformType or a "{{ parameter }}" reference, not ${describe(left)}.`);
  return undefined;
}

function checkMainSteps(c: Checker, content: Record<string, any>, allowPrecondition: boolean): Set<Platform> {
  const steps = c.array(content.mainSteps, ["mainSteps"], "a list of steps");
  if (steps.length === 0) c.fail(["mainSteps"], "must hold at least one step.");
  const names = new Set<string>();
  const platforms = new Set<Platform>();
  steps.forEach((raw, i) => {
    const path: Path = ["mainSteps", i];
    const step = c.object(raw, path, "a step object with action, name and inputs");
    const name = c.string(step.name, [...path, "name"], "a step name");
    if (!STEP_NAME.test(name)) c.fail([...path, "name"], "may contain only letters, digits, '.', '_' and '-' (at most 100 characters).");
    if (names.has(name)) c.fail([...path, "name"], `'${name}' is used by an earlier step; step names must be unique.`);
    names.add(name);
    const runsOn = checkPlugin(c, step.action, [...path, "action"], step.inputs, [...path, "inputs"]);
    let only: Platform | undefined;
    if (step.precondition !== undefined) {
      if (!allowPrecondition) c.fail([...path, "precondition"], `needs schemaVersion 2.2 (this document has ${content.schemaVersion}).`);
      only = checkPrecondition(c, step.precondition, [...path, "precondition"]);
      if (only && !runsOn.includes(only))
        c.fail([...path, "precondition"], `limits the step to ${only}, where ${step.action} does not run (it runs on ${runsOn.join(", ")}).`);
    }
    for (const p of only ? [only] : runsOn) platforms.add(p);
  });
  return platforms;
}

function checkRuntimeConfig(c: Checker, content: Record<string, any>): Set<Platform> {
  const config = c.object(content.runtimeConfig, ["runtimeConfig"], "an object of plugins (schemaVersion 1.2)");
  const plugins = Object.keys(config);
  if (plugins.length === 0) c.fail(["runtimeConfig"], "must name at least one plugin.");
  const platforms = new Set<Platform>();
  for (const plugin of plugins) {
    const path: Path = ["runtimeConfig", plugin];
    const entry = c.object(config[plugin], path, "an object with properties");
    const props = entry.properties;
    const list = Array.isArray(props) ? props : [props];
    list.forEach((p, i) => {
      const propPath: Path = Array.isArray(props) ? [...path, "properties", i] : [...path, "properties"];
      for (const platform of checkPlugin(c, plugin, path, p, propPath)) platforms.add(platform);
    });
  }
  return platforms;
}

/** Command documents (schemaVersion 1.2, 2.0, 2.2) and Policy documents (2.0): Run Command, State Manager, Maintenance Windows. */
export function validateCommand(c: Checker, content: Record<string, any>): ValidatedContent {
  const schemaVersion = schemaVersionOf(c, content);
  const supported = c.documentType === "Policy" ? ["2.0", "2.2"] : ["1.2", "2.0", "2.2"];
  if (!supported.includes(schemaVersion)) throw unsupportedSchema(c.documentType, schemaVersion, supported);
  const description = c.optionalString(content.description, ["description"]);
  const parameters = validateParametersBlock(c, content.parameters);
  let platforms: Set<Platform>;
  if (schemaVersion === "1.2") {
    if (content.mainSteps !== undefined) c.fail(["mainSteps"], "belongs to schemaVersion 2.0 and 2.2; schemaVersion 1.2 documents use runtimeConfig.");
    if (content.runtimeConfig === undefined) c.fail(["runtimeConfig"], "is required for schemaVersion 1.2 documents.");
    platforms = checkRuntimeConfig(c, content);
  } else {
    if (content.runtimeConfig !== undefined) c.fail(["runtimeConfig"], `belongs to schemaVersion 1.2; schemaVersion ${schemaVersion} documents use mainSteps.`);
    if (content.mainSteps === undefined) c.fail(["mainSteps"], `is required for schemaVersion ${schemaVersion} documents.`);
    platforms = checkMainSteps(c, content, schemaVersion === "2.2");
  }
  return { schemaVersion, description, parameters, platformTypes: ALL_PLATFORMS.filter((p) => platforms.has(p)) };
}

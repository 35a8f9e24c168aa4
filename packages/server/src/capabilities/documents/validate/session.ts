import { type Checker, describe, isReference, schemaVersionOf, unsupportedSchema } from "./checker.js";
import { validateParametersBlock } from "./parameters-block.js";
import { ALL_PLATFORMS, type Platform } from "./plugins.js";
import type { ValidatedContent } from "./result.js";

export const SESSION_TYPES = ["Standard_Stream", "Port", "InteractiveCommands", "NonInteractiveCommands"];

const BOOLEAN_INPUTS = ["s3EncryptionEnabled", "cloudWatchEncryptionEnabled", "cloudWatchStreamingEnabled", "runAsEnabled"];
const STRING_INPUTS = ["s3BucketName", "s3KeyPrefix", "cloudWatchLogGroupName", "kmsKeyId", "runAsDefaultUser"];
const OS_KEYS: Record<string, Platform> = { linux: "Linux", windows: "Windows", macos: "MacOS" };

function minutes(c: Checker, v: unknown, key: string, max: number): void {
  if (v === undefined || v === "" || isReference(v)) return;
  const n = typeof v === "number" ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) c.fail(["inputs", key], `must be a whole number of minutes from 1 to ${max}, not ${describe(v)}.`);
}

function checkInputs(c: Checker, inputs: Record<string, any>): void {
  for (const key of BOOLEAN_INPUTS) c.booleanish(inputs[key], ["inputs", key]);
  for (const key of STRING_INPUTS) c.optionalString(inputs[key], ["inputs", key]);
  minutes(c, inputs.idleSessionTimeout, "idleSessionTimeout", 60);
  minutes(c, inputs.maxSessionDuration, "maxSessionDuration", 1440);
  if (inputs.shellProfile !== undefined) {
    const profile = c.object(inputs.shellProfile, ["inputs", "shellProfile"], "an object with linux and windows commands");
    for (const [k, v] of Object.entries(profile)) c.string(v, ["inputs", "shellProfile", k]);
  }
}

/** Session documents (schemaVersion 1.0): Session Manager's sessionType, inputs (preferences) and properties. */
export function validateSession(c: Checker, content: Record<string, any>): ValidatedContent {
  const schemaVersion = schemaVersionOf(c, content);
  if (schemaVersion !== "1.0") throw unsupportedSchema("Session", schemaVersion, ["1.0"]);
  const description = c.optionalString(content.description, ["description"]);
  if (content.sessionType === undefined) c.fail(["sessionType"], `is required: one of ${SESSION_TYPES.join(", ")}.`);
  c.oneOf(content.sessionType, SESSION_TYPES, ["sessionType"]);
  const parameters = validateParametersBlock(c, content.parameters);
  if (content.inputs !== undefined) checkInputs(c, c.object(content.inputs, ["inputs"]));
  const properties = c.optionalObject(content.properties, ["properties"]);
  let platforms: Platform[] = [...ALL_PLATFORMS];
  if (content.sessionType === "Port") {
    if (!properties) c.fail(["properties"], "is required for Port sessions: give at least portNumber.");
    if (properties.portNumber === undefined) c.fail(["properties", "portNumber"], "is required for Port sessions.");
    if (!isReference(properties.portNumber) && !/^\d{1,5}$/.test(String(properties.portNumber))) {
      c.fail(["properties", "portNumber"], `must be a port number or a "{{ parameter }}" reference, not ${describe(properties.portNumber)}.`);
    }
    if (properties.type !== undefined) c.oneOf(properties.type, ["LocalPortForwarding"], ["properties", "type"]);
    if (properties.host !== undefined) c.string(properties.host, ["properties", "host"]);
  } else if (content.sessionType === "InteractiveCommands" || content.sessionType === "NonInteractiveCommands") {
    if (!properties) c.fail(["properties"], `is required for ${content.sessionType} sessions: give the commands per operating system (linux, windows, macos).`);
    platforms = [];
    for (const [key, value] of Object.entries(properties)) {
      const os = OS_KEYS[key];
      if (!os) c.fail(["properties", key], "is not an operating system key; use linux, windows or macos.");
      const entry = c.object(value, ["properties", key], "an object with commands and runAsElevated");
      const cmds = entry.commands;
      if (cmds === undefined) c.fail(["properties", key, "commands"], "is required.");
      if (typeof cmds !== "string" && !(Array.isArray(cmds) && cmds.every((x) => typeof x === "string"))) {
        c.fail(["properties", key, "commands"], "must be a string or a list of strings.");
      }
      c.booleanish(entry.runAsElevated, ["properties", key, "runAsElevated"]);
      platforms.push(os);
    }
    if (platforms.length === 0) c.fail(["properties"], "must give commands for at least one of linux, windows, macos.");
  }
  return { schemaVersion, description, parameters, platformTypes: ALL_PLATFORMS.filter((p) => platforms.includes(p)) };
}

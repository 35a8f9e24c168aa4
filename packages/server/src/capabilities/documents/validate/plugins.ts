import type { Path } from "../content.js";
import type { Checker } from "./checker.js";

export const ALL_PLATFORMS = ["Windows", "Linux", "MacOS"] as const;
export type Platform = (typeof ALL_PLATFORMS)[number];

interface PluginSpec {
  platforms: readonly Platform[];
  /** Inputs the plugin cannot run without ("a|b": either). */
  required: string[];
  /** Inputs with a fixed set of values. */
  enums?: Record<string, readonly string[]>;
  booleans?: string[];
}

/** The Command and Policy document plugins the agent runs, with the platforms each runs on. */
export const PLUGINS: Record<string, PluginSpec> = {
  "aws:applications": { platforms: ["Windows"], required: ["action", "source"], enums: { action: ["Install", "Repair", "Uninstall"] } },
  "aws:cloudWatch": { platforms: ["Windows"], required: [] },
  "aws:configureDocker": { platforms: ["Windows", "Linux"], required: ["action"], enums: { action: ["Install", "Uninstall"] } },
  "aws:configurePackage": {
    platforms: ALL_PLATFORMS,
    required: ["name", "action"],
    enums: { action: ["Install", "Uninstall"], installationType: ["Uninstall and reinstall", "In-place update"] },
  },
  "aws:domainJoin": { platforms: ["Windows", "Linux"], required: ["directoryId", "directoryName"] },
  "aws:downloadContent": {
    platforms: ALL_PLATFORMS,
    required: ["sourceType", "sourceInfo"],
    enums: { sourceType: ["GitHub", "Git", "HTTP", "S3", "SSMDocument"] },
  },
  "aws:psModule": { platforms: ["Windows"], required: [] },
  "aws:refreshAssociation": { platforms: ALL_PLATFORMS, required: [] },
  "aws:runDockerAction": { platforms: ["Windows", "Linux"], required: ["action"] },
  "aws:runDocument": { platforms: ALL_PLATFORMS, required: ["documentType", "documentPath"], enums: { documentType: ["SSMDocument", "LocalPath"] } },
  "aws:runPowerShellScript": { platforms: ALL_PLATFORMS, required: ["runCommand"] },
  "aws:runShellScript": { platforms: ["Linux", "MacOS"], required: ["runCommand"] },
  "aws:softwareInventory": { platforms: ALL_PLATFORMS, required: [] },
  "aws:updateAgent": { platforms: ["Windows"], required: ["agentName", "source"] },
  "aws:updateSsmAgent": { platforms: ALL_PLATFORMS, required: ["agentName", "source"], booleans: ["allowDowngrade"] },
};

/** Checks a plugin's name and inputs; returns the platforms it runs on. */
export function checkPlugin(c: Checker, action: unknown, actionPath: Path, inputs: unknown, inputsPath: Path): readonly Platform[] {
  const name = c.string(action, actionPath, "a plugin name such as aws:runShellScript");
  const spec = PLUGINS[name];
  if (!spec) {
    const near = Object.keys(PLUGINS).find((p) => p.toLowerCase() === name.toLowerCase());
    c.fail(
      actionPath,
      `'${name}' is not a plugin ${c.documentType} documents can run${near ? ` (did you mean ${near}?)` : ""}. Plugins: ${Object.keys(PLUGINS).join(", ")}.`,
    );
  }
  if (inputs === undefined && spec.required.length === 0) return spec.platforms;
  const given = c.object(inputs, inputsPath, `an object of ${name} inputs`);
  c.required(given, spec.required, inputsPath, name);
  for (const [key, values] of Object.entries(spec.enums ?? {})) if (given[key] !== undefined) c.oneOf(given[key], values, [...inputsPath, key]);
  for (const key of spec.booleans ?? []) c.booleanish(given[key], [...inputsPath, key]);
  for (const key of ["runCommand", "commands"]) {
    const v = given[key];
    if (v !== undefined && typeof v !== "string" && !(Array.isArray(v) && v.every((x) => typeof x === "string"))) {
      c.fail([...inputsPath, key], "must be a string or a list of strings (one command per line).");
    }
  }
  if (given.timeoutSeconds !== undefined) c.integerish(given.timeoutSeconds, [...inputsPath, "timeoutSeconds"], 1);
  return spec.platforms;
}

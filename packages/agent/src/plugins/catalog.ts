import type { PlatformType } from "../health/platform-info.js";
import type { Plugin } from "./plugin.js";
import { softwareInventory } from "../inventory/software-inventory.js";
import { refreshAssociation } from "./refresh-association.js";
import { runDocument } from "./run-document.js";
import { runShellScript } from "./run-shell-script.js";

/** Plugins this agent runs. */
export const plugins = new Map<string, Plugin>([
  [runShellScript.name, runShellScript],
  [runDocument.name, runDocument],
  [refreshAssociation.name, refreshAssociation],
  [softwareInventory.name, softwareInventory],
]);

/** Plugins amazon-ssm-agent knows; a step with one of these that this agent lacks is skipped (2.2) or fails (earlier schemas). */
const KNOWN = new Set([
  "aws:runShellScript",
  "aws:runPowerShellScript",
  "aws:runDocument",
  "aws:downloadContent",
  "aws:softwareInventory",
  "aws:configurePackage",
  "aws:configureDocker",
  "aws:configureContainers",
  "aws:updateSsmAgent",
  "aws:updateAgent",
  "aws:applications",
  "aws:psModule",
  "aws:refreshAssociation",
  "aws:domainJoin",
  "aws:cloudWatch",
  "aws:runDockerAction",
]);

export interface PluginLookup {
  plugin?: Plugin;
  known: boolean;
  supported: boolean;
}

export function lookupPlugin(name: string, platform: PlatformType): PluginLookup {
  const plugin = plugins.get(name);
  if (plugin) return { plugin: plugin.supported(platform) ? plugin : undefined, known: true, supported: plugin.supported(platform) };
  if (name === "aws:runPowerShellScript") return { known: true, supported: platform === "Windows" };
  return { known: KNOWN.has(name), supported: KNOWN.has(name) };
}

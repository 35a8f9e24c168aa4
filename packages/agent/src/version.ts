import { readFileSync } from "node:fs";

/** AgentName the agent reports in UpdateInstanceInformation. */
export const AGENT_NAME = "openssm-agent";

/** The package version (AgentVersion; at least 5 characters, as the API requires). */
export const AGENT_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string };
    return pkg.version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
})();

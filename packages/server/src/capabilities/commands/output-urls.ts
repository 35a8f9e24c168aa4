import { hostname } from "node:os";
import type { Services } from "../../runtime.js";

export const OUTPUT_ROUTE = "/v1/command-output";

/** The plain listener's address (the public port): StandardOutputUrl points there. */
function baseUrl(services: Services): string {
  const configured = services.config.host;
  const host = configured === "0.0.0.0" || configured === "::" ? hostname() : configured.includes(":") ? `[${configured}]` : configured;
  return `http://${host}:${services.listening.port ?? services.config.port}`;
}

/** `<server>/v1/command-output/<commandId>/<instanceId>/<plugin>/<stdout|stderr>`: the whole text, for callers allowed ssm:GetCommandInvocation. */
export function outputUrl(services: Services, commandId: string, instanceId: string, plugin: string, stream: "stdout" | "stderr"): string {
  const base = baseUrl(services);
  // ":" is left as it is (step names like aws:runShellScript), so the path needs no percent-encoding.
  const segment = (s: string) => encodeURIComponent(s).replace(/%3A/g, ":");
  return `${base}${OUTPUT_ROUTE}/${segment(commandId)}/${segment(instanceId)}/${segment(plugin)}/${stream}`;
}

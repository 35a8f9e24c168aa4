import { publicUrls } from "../../http/public-urls.js";
import type { Services } from "../../runtime.js";

export const OUTPUT_ROUTE = "/v1/command-output";

/** `<server>/v1/command-output/<commandId>/<instanceId>/<plugin>/<stdout|stderr>`: the whole text, for callers allowed ssm:GetCommandInvocation. */
export function outputUrl(services: Services, commandId: string, instanceId: string, plugin: string, stream: "stdout" | "stderr"): string {
  const base = publicUrls(services).http;
  // ":" is left as it is (step names like aws:runShellScript), so the path needs no percent-encoding.
  const segment = (s: string) => encodeURIComponent(s).replace(/%3A/g, ":");
  return `${base}${OUTPUT_ROUTE}/${segment(commandId)}/${segment(instanceId)}/${segment(plugin)}/${stream}`;
}

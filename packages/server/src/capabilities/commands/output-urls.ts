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

/**
 * The URL of a stream's whole text, or "" when the whole is not held: AWS's agent sent only its first
 * 24,000 bytes (the rest would have gone to S3; AWS gives no URL without an S3 bucket either).
 */
export function heldOutputUrl(
  services: Services,
  commandId: string,
  instanceId: string,
  plugin: string,
  stream: "stdout" | "stderr",
  cut: { stdout_cut: number | null; stderr_cut: number | null },
): string {
  return (stream === "stdout" ? cut.stdout_cut : cut.stderr_cut) ? "" : outputUrl(services, commandId, instanceId, plugin, stream);
}

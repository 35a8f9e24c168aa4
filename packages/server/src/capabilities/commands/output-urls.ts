import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { Server as TlsServer } from "node:tls";
import type { FastifyInstance } from "fastify";
import type { Services } from "../../runtime.js";

export const OUTPUT_ROUTE = "/v1/command-output";

const baseUrls = new WeakMap<Services, string>();

/** Remembers the plain listener's address once it listens: StandardOutputUrl points there. */
export function rememberOutputBase(app: FastifyInstance, services: Services): void {
  if (app.server instanceof TlsServer) return;
  app.server.once("listening", () => {
    const address = app.server.address() as AddressInfo | null;
    if (!address) return;
    const configured = services.config.host;
    const host = configured === "0.0.0.0" || configured === "::" ? hostname() : configured.includes(":") ? `[${configured}]` : configured;
    baseUrls.set(services, `http://${host}:${address.port}`);
  });
}

/** `<server>/v1/command-output/<commandId>/<instanceId>/<plugin>/<stdout|stderr>`: the whole text, for callers allowed ssm:GetCommandInvocation. */
export function outputUrl(services: Services, commandId: string, instanceId: string, plugin: string, stream: "stdout" | "stderr"): string {
  const base = baseUrls.get(services) ?? "";
  // ":" is left as it is (step names like aws:runShellScript), so the path needs no percent-encoding.
  const segment = (s: string) => encodeURIComponent(s).replace(/%3A/g, ":");
  return `${base}${OUTPUT_ROUTE}/${segment(commandId)}/${segment(instanceId)}/${segment(plugin)}/${stream}`;
}

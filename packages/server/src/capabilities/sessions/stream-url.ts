import { hostname } from "node:os";
import type { AddressInfo } from "node:net";
import { Server as TlsServer } from "node:tls";
import type { FastifyInstance } from "fastify";
import type { Services } from "../../runtime.js";

interface Listeners {
  tls?: string;
  plain?: string;
}

const listeners = new WeakMap<Services, Listeners>();
const CELL = Buffer.from(`openssm:${hostname()}`).toString("base64url");

function urlHost(services: Services): string {
  const { host, tlsHostnames } = services.config;
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const name = wildcard ? (tlsHostnames[0] ?? "localhost") : host;
  return name.includes(":") ? `[${name}]` : name;
}

/** Remembers where the server listens (the TLS listener and the plain one), for StreamUrl. */
export function rememberListener(app: FastifyInstance, services: Services): void {
  app.addHook("onListen", async () => {
    const address = app.server.address() as AddressInfo | null;
    if (!address || typeof address !== "object") return;
    const l = listeners.get(services) ?? {};
    if (app.server instanceof TlsServer) l.tls = `wss://${urlHost(services)}:${address.port}`;
    else l.plain = `ws://${urlHost(services)}:${address.port}`;
    listeners.set(services, l);
  });
}

/**
 * The data-channel URL of a session: on the TLS listener (wss://, what AWS's agent requires and the
 * plugin expects), or on the plain listener when the server runs without TLS (our client and AWS's
 * plugin accept ws:// too).
 */
export function streamUrl(services: Services, sessionId: string): string {
  const l = listeners.get(services) ?? {};
  const base = l.tls ?? l.plain ?? `ws://${urlHost(services)}:${services.config.port}`;
  return `${base}/v1/data-channel/${encodeURIComponent(sessionId)}?role=publish_subscribe&cell-number=${CELL}`;
}

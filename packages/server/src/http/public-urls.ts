import { hostname } from "node:os";
import type { Services } from "../runtime.js";

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1"]);

/**
 * The host name clients use for this server in URLs the API hands out (StreamUrl,
 * StandardOutputUrl): the configured host, or for a wildcard address the first non-loopback name
 * the TLS certificate carries (the machine's name by default).
 */
export function publicHost(services: Services): string {
  const { host, tlsHostnames } = services.config;
  const wildcard = host === "0.0.0.0" || host === "::" || host === "";
  const name = wildcard ? (tlsHostnames.find((n) => !LOOPBACK.has(n)) ?? hostname()) : host;
  return name.includes(":") ? `[${name}]` : name;
}

/** Where this replica's listeners are reached: http://host:port, and https://host:tlsPort when TLS is on. */
export function publicUrls(services: Services): { http: string; tls?: string } {
  const host = publicHost(services);
  const { port, tlsPort } = services.listening;
  return { http: `http://${host}:${port ?? services.config.port}`, tls: tlsPort !== undefined ? `https://${host}:${tlsPort}` : undefined };
}

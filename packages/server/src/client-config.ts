import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * How a client on this machine reaches the server: written by the server to `<data dir>/client.json`
 * at every start, read by `openssm session`, `openssm command output` and the other API commands run
 * beside it, so that they need no flags. It holds no secret: the credentials stay in the 0600
 * credentials file it names.
 */
export interface ClientConfig {
  /** The SSM API, http://127.0.0.1:4510 */
  endpoint: string;
  /** The TLS listener (session stream URLs, agents' control channels), when there is one. */
  tlsEndpoint?: string;
  /** The built-in CA's certificate, to trust for tlsEndpoint and stream URLs. */
  caFile?: string;
  region: string;
  /** The shared-credentials file holding the admin's key (absent when the operator gave the key). */
  credentialsFile?: string;
  /** The profile of that file. */
  profile?: string;
}

export const CLIENT_CONFIG_FILE = "client.json";

/** Listening on every address: clients on this machine connect to the loopback one. */
function connectable(url: string): string {
  const u = new URL(url);
  if (u.hostname === "0.0.0.0") u.hostname = "127.0.0.1";
  else if (u.hostname === "[::]") u.hostname = "[::1]";
  return u.toString().replace(/\/$/, "");
}

export function writeClientConfig(dataDir: string, config: ClientConfig): string {
  const file = join(dataDir, CLIENT_CONFIG_FILE);
  const out: ClientConfig = {
    ...config,
    endpoint: connectable(config.endpoint),
    tlsEndpoint: config.tlsEndpoint ? connectable(config.tlsEndpoint) : undefined,
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
  return file;
}

/** The client config in `dataDir`, or undefined when there is none (no server started there yet). */
export function readClientConfig(dataDir: string): (ClientConfig & { file: string }) | undefined {
  const file = join(dataDir, CLIENT_CONFIG_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  let parsed: Partial<ClientConfig>;
  try {
    parsed = JSON.parse(text) as Partial<ClientConfig>;
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}); start the server again to rewrite it`);
  }
  if (typeof parsed.endpoint !== "string" || !parsed.endpoint) throw new Error(`${file} names no endpoint; start the server again to rewrite it`);
  const str = (v: unknown) => (typeof v === "string" && v ? v : undefined);
  return {
    file,
    endpoint: parsed.endpoint,
    tlsEndpoint: str(parsed.tlsEndpoint),
    caFile: str(parsed.caFile),
    region: str(parsed.region) ?? "us-east-1",
    credentialsFile: str(parsed.credentialsFile),
    profile: str(parsed.profile),
  };
}

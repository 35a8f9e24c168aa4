import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { readFileSync } from "node:fs";
import { HttpTransport } from "../aws/http-transport.js";
import { defaultDataDir, IdentityStore } from "../identity/identity-store.js";
import { RegistrationError, registerNode } from "../identity/register.js";
import { runningAgentPid } from "./pid-lock.js";

export interface RegisterFlags {
  code: string;
  id: string;
  region?: string;
  endpoint: string;
  tlsEndpoint?: string;
  caFile?: string;
  dataDir?: string;
  name?: string;
  force?: boolean;
}

function fail(message: string): never {
  process.stderr.write(`openssm-agent register: ${message}\n`);
  process.exit(1);
}

export async function registerCommand(flags: RegisterFlags): Promise<void> {
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const store = new IdentityStore(dataDir);
  if (store.exists() && !flags.force) {
    const { identity } = store.load();
    fail(`${dataDir} already holds the identity of ${identity.instanceId}; use --force to register again, or another --data-dir`);
  }
  let endpoint: URL;
  try {
    endpoint = new URL(flags.endpoint);
  } catch {
    fail(`--endpoint must be a URL such as http://127.0.0.1:4510, got '${flags.endpoint}'`);
  }
  const caFile = flags.caFile ? resolve(flags.caFile) : process.env.SSL_CERT_FILE ? resolve(process.env.SSL_CERT_FILE) : undefined;
  if (caFile && !existsSync(caFile)) fail(`--ca-file ${caFile} does not exist`);
  const tlsEndpoint = flags.tlsEndpoint ?? (endpoint.protocol === "https:" ? flags.endpoint : undefined);
  const http = new HttpTransport(caFile ? readFileSync(caFile) : undefined);
  try {
    const { identity, keys } = await registerNode(
      {
        activationCode: flags.code,
        activationId: flags.id,
        region: flags.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
        endpoint: flags.endpoint,
        tlsEndpoint,
        caFile,
        name: flags.name,
      },
      http,
    );
    store.save(identity, keys);
    process.stdout.write(`registered ${identity.instanceId} (identity in ${dataDir})\n`);
    if (!tlsEndpoint) process.stdout.write("no --tls-endpoint: the agent will receive commands by polling (ec2messages)\n");
    const pid = runningAgentPid(dataDir);
    if (pid) {
      // The running service watches its identity too (every 2 s); the signal only makes it look now.
      try {
        process.kill(pid, "SIGHUP");
      } catch {
        // another user's process: it notices the new identity by itself
      }
      process.stdout.write(`the openssm-agent running with ${dataDir} (pid ${pid}) switches to ${identity.instanceId} by itself; no restart needed\n`);
    }
  } catch (e) {
    fail(e instanceof RegistrationError ? e.message : (e as Error).message);
  } finally {
    http.close();
  }
}

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Agent, type TransportMode } from "../agent.js";
import { HttpTransport } from "../aws/http-transport.js";
import { defaultDataDir, IdentityStore } from "../identity/identity-store.js";
import { createLog } from "../log.js";
import { AGENT_VERSION } from "../version.js";
import { takePidLock } from "./pid-lock.js";

export interface RunFlags {
  dataDir?: string;
  transport: string;
  caFile?: string;
  tlsEndpoint?: string;
  logLevel: string;
  healthInterval: number;
  outputInterval: number;
  maxConcurrent: number;
  rebootCommand?: string;
}

function fail(message: string): never {
  process.stderr.write(`openssm-agent run: ${message}\n`);
  process.exit(1);
}

/** The reboot command: only when asked for (the systemd unit asks for `/sbin/shutdown -r +1`, as AWS's agent runs it). */
function rebootCommand(flag: string | undefined): string[] | undefined {
  if (!flag || flag === "none") return undefined;
  return ["/bin/sh", "-c", flag];
}

export async function runCommand(flags: RunFlags): Promise<void> {
  const transport = flags.transport as TransportMode;
  if (!["auto", "mgs", "poll"].includes(transport)) fail(`--transport must be auto, mgs or poll, got '${flags.transport}'`);
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const store = new IdentityStore(dataDir);
  let loaded: ReturnType<IdentityStore["load"]>;
  try {
    loaded = store.load();
  } catch (e) {
    fail((e as Error).message);
  }
  const identity = { ...loaded.identity };
  if (flags.tlsEndpoint) identity.tlsEndpoint = flags.tlsEndpoint;
  if (flags.caFile) identity.caFile = resolve(flags.caFile);
  else if (!identity.caFile && process.env.SSL_CERT_FILE) identity.caFile = process.env.SSL_CERT_FILE;
  if (transport === "mgs" && !identity.tlsEndpoint)
    fail("--transport mgs needs the server's TLS endpoint (register with --tls-endpoint or pass --tls-endpoint)");
  let ca: Buffer | undefined;
  if (identity.caFile) {
    try {
      ca = readFileSync(identity.caFile);
    } catch (e) {
      fail(`cannot read the CA file ${identity.caFile}: ${(e as Error).message}`);
    }
  }
  let release: () => void;
  try {
    release = takePidLock(dataDir);
  } catch (e) {
    fail((e as Error).message);
  }
  const log = createLog(flags.logLevel, { instanceId: identity.instanceId });
  const http = new HttpTransport(ca);
  const agent = new Agent({
    identity,
    keys: loaded.keys,
    identityStore: store,
    dataDir,
    transport,
    http,
    log,
    healthIntervalMs: flags.healthInterval * 1000,
    outputIntervalMs: flags.outputInterval,
    maxConcurrentCommands: flags.maxConcurrent,
    rebootCommand: rebootCommand(flags.rebootCommand),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping (running commands keep running and are picked up at the next start)");
    const forced = setTimeout(() => process.exit(0), 5_000);
    forced.unref();
    await agent.stop().catch(() => undefined);
    http.close();
    release();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  await agent.start();
  log.info(
    { version: AGENT_VERSION, dataDir, endpoint: identity.endpoint, tlsEndpoint: identity.tlsEndpoint, transport, platform: agent.platform },
    "openssm-agent running",
  );
}

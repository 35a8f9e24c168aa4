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

/** The identity to run with: the data dir's, with the run flags' overrides. */
function identityOf(store: IdentityStore, flags: RunFlags): ReturnType<IdentityStore["load"]> {
  const loaded = store.load();
  const identity = { ...loaded.identity };
  if (flags.tlsEndpoint) identity.tlsEndpoint = flags.tlsEndpoint;
  if (flags.caFile) identity.caFile = resolve(flags.caFile);
  else if (!identity.caFile && process.env.SSL_CERT_FILE) identity.caFile = process.env.SSL_CERT_FILE;
  return { identity, keys: loaded.keys };
}

/** The instance id in the data dir's identity.json now, or undefined while it cannot be read. */
function storedInstanceId(store: IdentityStore): string | undefined {
  try {
    return (JSON.parse(readFileSync(store.identityPath, "utf8")) as { instanceId?: string }).instanceId;
  } catch {
    return undefined;
  }
}

/** How often the service looks whether `register --force` gave the data dir another identity. */
const IDENTITY_CHECK_MS = 2_000;

export async function runCommand(flags: RunFlags): Promise<void> {
  const transport = flags.transport as TransportMode;
  if (!["auto", "mgs", "poll"].includes(transport)) fail(`--transport must be auto, mgs or poll, got '${flags.transport}'`);
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const store = new IdentityStore(dataDir);

  /** The identity in the data dir, checked: what launch() needs, or an error saying what is wrong. */
  const prepare = () => {
    const { identity, keys } = identityOf(store, flags);
    if (transport === "mgs" && !identity.tlsEndpoint)
      throw new Error("--transport mgs needs the server's TLS endpoint (register with --tls-endpoint or pass --tls-endpoint)");
    let ca: Buffer | undefined;
    if (identity.caFile) {
      try {
        ca = readFileSync(identity.caFile);
      } catch (e) {
        throw new Error(`cannot read the CA file ${identity.caFile}: ${(e as Error).message}`);
      }
    }
    return { identity, keys, ca };
  };

  /** One node's agent (not started). */
  const launch = ({ identity, keys, ca }: ReturnType<typeof prepare>) => {
    const log = createLog(flags.logLevel, { instanceId: identity.instanceId });
    const http = new HttpTransport(ca);
    const agent = new Agent({
      identity,
      keys,
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
    return { identity, agent, http, log };
  };

  let running: ReturnType<typeof launch>;
  try {
    running = launch(prepare());
  } catch (e) {
    fail((e as Error).message);
  }
  let release: () => void;
  try {
    release = takePidLock(dataDir);
  } catch (e) {
    fail((e as Error).message);
  }
  let stopping = false;
  let reloading: Promise<void> | undefined;

  /**
   * `openssm-agent register --force` wrote another identity into the data dir (and sent SIGHUP): stop
   * this node's agent and start the new node's, without a restart of the service.
   */
  const reloadIfChanged = async () => {
    const stored = storedInstanceId(store);
    if (stopping || reloading || !stored || stored === running.identity.instanceId) return;
    const previous = running;
    let next: ReturnType<typeof prepare>;
    try {
      next = prepare();
    } catch (e) {
      previous.log.error({ err: e }, "the data dir holds a new identity that cannot be used; keeping the current one");
      return;
    }
    previous.log.info({ newInstanceId: next.identity.instanceId }, "the data dir holds a new identity (register --force): reloading");
    // The old node's agent stops first: the two must not share the data dir's command and reply stores.
    await previous.agent.stop().catch(() => undefined);
    previous.http.close();
    running = launch(next);
    await running.agent.start();
    running.log.info({ previousInstanceId: previous.identity.instanceId, endpoint: next.identity.endpoint }, "openssm-agent running with the new identity");
  };
  const checkIdentity = () => {
    if (reloading) return;
    reloading = reloadIfChanged().finally(() => {
      reloading = undefined;
    });
  };
  const watcher = setInterval(checkIdentity, IDENTITY_CHECK_MS);
  watcher.unref();

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    clearInterval(watcher);
    running.log.info({ signal }, "stopping (running commands keep running and are picked up at the next start)");
    const forced = setTimeout(() => process.exit(0), 5_000);
    forced.unref();
    await reloading?.catch(() => undefined);
    await running.agent.stop().catch(() => undefined);
    running.http.close();
    release();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGHUP", checkIdentity);
  await running.agent.start();
  running.log.info(
    {
      version: AGENT_VERSION,
      dataDir,
      endpoint: running.identity.endpoint,
      tlsEndpoint: running.identity.tlsEndpoint,
      transport,
      platform: running.agent.platform,
    },
    "openssm-agent running",
  );
}

import { randomBytes } from "node:crypto";
import { chmodSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { capabilities as allCapabilities } from "./capabilities/index.js";
import { writeClientConfig } from "./client-config.js";
import { createLogger } from "./log.js";
import { type ConfigFlags, resolveConfig, type ServerConfig } from "./config.js";
import { loadMasterKey } from "./crypto/master-key.js";
import { listenerCertificate } from "./agents/tls/listener-certificate.js";
import { buildApp } from "./http/app.js";
import { trustForwardToken } from "./http/forwarded.js";
import { Dispatcher } from "./http/dispatch.js";
import { Authenticator } from "./iam/authenticate.js";
import { bootstrap } from "./iam/bootstrap.js";
import type { Capability, Services } from "./runtime.js";
import { createServices } from "./services.js";
import { clockFor } from "./scheduler/clock.js";
import { migrate } from "./storage/migrations.js";
import { serverMigrations } from "./operations/schema.js";
import { openStorage } from "./storage/database.js";
import { type ApiWorkers, startApiWorkers } from "./workers/primary.js";

export interface RunningServer {
  url: string;
  port: number;
  /** The TLS listener (same routes; agents' MGS channels), unless --tls-port off. */
  tlsUrl?: string;
  tlsPort?: number;
  /** The built-in CA's certificate, for nodes to trust (absent with the operator's certificate). */
  caCertFile?: string;
  services: Services;
  dispatcher: Dispatcher;
  authenticator: Authenticator;
  credentialsFile?: string;
  /** `<data dir>/client.json`: the endpoint, CA and credentials for the `openssm` commands run beside this server. */
  clientConfigFile?: string;
  /** Process ids of the API workers (none unless --api-workers). */
  workerPids(): number[];
  close(): Promise<void>;
}

export { createLogger };

/** Opens storage, runs migrations, bootstraps the admin, and serves the API. */
export async function startServer(flags: ConfigFlags = {}, opts: { log?: Logger; capabilities?: Capability[] } = {}): Promise<RunningServer> {
  const config: ServerConfig = resolveConfig(flags);
  const log = opts.log ?? createLogger(config.logLevel);
  const capabilities = opts.capabilities ?? allCapabilities;
  const storage = openStorage(config.databaseUrl, {
    batchWrites: true,
    onCheckpointFailure: (err) => log.error({ err }, "the WAL checkpoint thread failed; SQLite checkpoints on the writing connection again"),
  });
  const masterKey = loadMasterKey(config.dataDir, config.masterKey);
  const clock = clockFor(config);

  await migrate(storage.db, serverMigrations(storage.engine, capabilities));

  const boot = await bootstrap(
    storage.db,
    masterKey,
    config.dataDir,
    clock.now(),
    { accessKeyId: config.adminAccessKeyId, secretAccessKey: config.adminSecretAccessKey },
    config.accountId,
  ).catch(async (e: Error) => {
    await storage.close();
    throw e;
  });

  const services = createServices(config, storage, masterKey, log, boot.accountId, { clock });

  const authenticator = new Authenticator(storage.db, masterKey, config.credentialCacheSeconds * 1000, () => clock.now(), config.regions);
  const dispatcher = new Dispatcher(services, authenticator);
  for (const c of capabilities) for (const o of c.operations ?? []) dispatcher.register(o);
  services.api = dispatcher;
  for (const c of capabilities) await c.start?.(services);

  const app = await buildApp(services, dispatcher, authenticator, capabilities);
  let workers: ApiWorkers | undefined;
  let internalSocket: string | undefined;
  let port: number;
  if (config.apiWorkers > 0) {
    // The workers take the public port; this process answers what they pass on, on a Unix socket.
    const token = randomBytes(32).toString("hex");
    trustForwardToken(services, token);
    internalSocket = join(tmpdir(), `openssm-${process.pid}-${randomBytes(6).toString("hex")}.sock`);
    await app.listen({ path: internalSocket });
    chmodSync(internalSocket, 0o600);
    const main = { socketPath: internalSocket, token };
    try {
      workers = await startApiWorkers(config, main, boot.accountId, services.audit, log);
    } catch (e) {
      await app.close();
      rmSync(internalSocket, { force: true });
      await storage.close();
      throw e;
    }
    port = workers.port;
  } else {
    await app.listen({ host: config.host, port: config.port });
    port = (app.server.address() as AddressInfo).port;
  }
  services.listening.port = port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  let tlsApp: Awaited<ReturnType<typeof buildApp>> | undefined;
  let tls: { url: string; port: number; caFile?: string } | undefined;
  if (config.tlsPort !== null) {
    const certificate = await listenerCertificate(config, storage.db, masterKey, clock.now());
    tlsApp = await buildApp(services, dispatcher, authenticator, capabilities, { https: { key: certificate.key, cert: certificate.cert } });
    await tlsApp.listen({ host: config.host, port: config.tlsPort });
    const tlsPort = (tlsApp.server.address() as AddressInfo).port;
    services.listening.tlsPort = tlsPort;
    tls = { url: `https://${host}:${tlsPort}`, port: tlsPort, caFile: certificate.caFile };
  }
  services.scheduler.start();
  // For the CLI run beside this server (`openssm session start` with no flags): where and how to call it.
  let clientConfigFile: string | undefined;
  try {
    clientConfigFile = writeClientConfig(config.dataDir, {
      endpoint: url,
      tlsEndpoint: tls?.url,
      caFile: tls?.caFile,
      region: "us-east-1",
      credentialsFile: boot.credentialsFile,
      profile: boot.credentialsFile ? "openssm" : undefined,
    });
  } catch (e) {
    log.warn({ err: e, dataDir: config.dataDir }, "cannot write the client config; openssm commands will need --endpoint-url");
  }
  log.info({ url, tlsUrl: tls?.url, engine: storage.engine, account: boot.accountId, credentialsFile: boot.credentialsFile }, "openssm listening");

  let closed = false;
  return {
    url,
    port,
    tlsUrl: tls?.url,
    tlsPort: tls?.port,
    caCertFile: tls?.caFile,
    services,
    dispatcher,
    authenticator,
    credentialsFile: boot.credentialsFile,
    clientConfigFile,
    workerPids: () => workers?.pids() ?? [],
    async close() {
      if (closed) return;
      closed = true;
      await workers?.stop();
      await services.scheduler.stop();
      for (const c of capabilities) await c.stop?.(services);
      await app.close();
      if (internalSocket) rmSync(internalSocket, { force: true });
      await tlsApp?.close();
      await services.audit.close();
      await services.events.drain();
      await storage.close();
    },
  };
}

import type { AddressInfo } from "node:net";
import pino, { type Logger } from "pino";
import { capabilities as allCapabilities } from "./capabilities/index.js";
import { type ConfigFlags, resolveConfig, type ServerConfig } from "./config.js";
import { loadMasterKey } from "./crypto/master-key.js";
import { auditMigrations, createAuditLog } from "./events/audit.js";
import { createEventBus, eventMigrations } from "./events/bus.js";
import { listenerCertificate } from "./agents/tls/listener-certificate.js";
import { buildApp } from "./http/app.js";
import { Dispatcher } from "./http/dispatch.js";
import { Authenticator } from "./iam/authenticate.js";
import { bootstrap } from "./iam/bootstrap.js";
import { iamMigrations } from "./iam/tables.js";
import type { Capability, Services } from "./runtime.js";
import { offsetClock, systemClock } from "./scheduler/clock.js";
import { createScheduler, schedulerMigrations } from "./scheduler/scheduler.js";
import { migrate } from "./storage/migrations.js";
import { openStorage } from "./storage/database.js";

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
  close(): Promise<void>;
}

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "openssm" } });
}

/** Opens storage, runs migrations, bootstraps the admin, and serves the API. */
export async function startServer(flags: ConfigFlags = {}, opts: { log?: Logger; capabilities?: Capability[] } = {}): Promise<RunningServer> {
  const config: ServerConfig = resolveConfig(flags);
  const log = opts.log ?? createLogger(config.logLevel);
  const capabilities = opts.capabilities ?? allCapabilities;
  const storage = openStorage(config.databaseUrl);
  const masterKey = loadMasterKey(config.dataDir, config.masterKey);
  const clock = config.testClock ? offsetClock() : systemClock();

  const migrations = {
    ...iamMigrations(storage.engine),
    ...schedulerMigrations,
    ...eventMigrations,
    ...auditMigrations(storage.engine),
  };
  for (const c of capabilities) Object.assign(migrations, c.migrations?.(storage.engine) ?? {});
  await migrate(storage.db, migrations);

  const boot = await bootstrap(storage.db, masterKey, config.dataDir, clock.now(), {
    accessKeyId: config.adminAccessKeyId,
    secretAccessKey: config.adminSecretAccessKey,
  });

  const services: Services = {
    config,
    engine: storage.engine,
    db: storage.db,
    masterKey,
    durable: storage.durable,
    commitMark: storage.commitMark,
    clock,
    log,
    events: createEventBus(storage.db, log, config.webhookUrls),
    audit: createAuditLog(storage.db, log),
    scheduler: createScheduler(storage.db, clock, log, config.schedulerIntervalMs),
    defaultAccountId: boot.accountId,
    taggable: new Map(),
  };
  const authenticator = new Authenticator(storage.db, masterKey, config.credentialCacheSeconds * 1000, () => clock.now());
  const dispatcher = new Dispatcher(services, authenticator);
  for (const c of capabilities) for (const o of c.operations ?? []) dispatcher.register(o);
  for (const c of capabilities) await c.start?.(services);

  const app = await buildApp(services, dispatcher, authenticator, capabilities);
  await app.listen({ host: config.host, port: config.port });
  const port = (app.server.address() as AddressInfo).port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  let tlsApp: Awaited<ReturnType<typeof buildApp>> | undefined;
  let tls: { url: string; port: number; caFile?: string } | undefined;
  if (config.tlsPort !== null) {
    const certificate = await listenerCertificate(config, storage.db, masterKey, clock.now());
    tlsApp = await buildApp(services, dispatcher, authenticator, capabilities, { https: { key: certificate.key, cert: certificate.cert } });
    await tlsApp.listen({ host: config.host, port: config.tlsPort });
    const tlsPort = (tlsApp.server.address() as AddressInfo).port;
    tls = { url: `https://${host}:${tlsPort}`, port: tlsPort, caFile: certificate.caFile };
  }
  services.scheduler.start();
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
    async close() {
      if (closed) return;
      closed = true;
      await services.scheduler.stop();
      for (const c of capabilities) await c.stop?.();
      await app.close();
      await tlsApp?.close();
      await services.audit.close();
      await services.events.drain();
      await storage.close();
    },
  };
}

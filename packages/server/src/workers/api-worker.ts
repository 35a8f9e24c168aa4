import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import pino from "pino";
import { capabilities as allCapabilities } from "../capabilities/index.js";
import { loadMasterKey } from "../crypto/master-key.js";
import { apiHandler, isApiRequest } from "../http/app.js";
import { Dispatcher } from "../http/dispatch.js";
import { Authenticator } from "../iam/authenticate.js";
import { createServices } from "../services.js";
import { openStorage } from "../storage/database.js";
import { auditRelay } from "./audit-relay.js";
import { Forwarder } from "./forward.js";
import { localOperations } from "./local-operations.js";
import { type FromWorker, isMessage, type ToWorker } from "./messages.js";

const send = (m: FromWorker) => {
  if (process.connected) process.send?.(m);
};

/**
 * An API worker process: it shares the public port with its siblings (Node's cluster hands each new
 * connection to one of them), answers the operations declared `readOnly` from storage, and
 * passes every other request and websocket to the main process.
 */
export async function runApiWorker(start: Extract<ToWorker, { openssm: "start" }>): Promise<void> {
  const { config, main } = start;
  const log = pino({ level: config.logLevel, base: { service: "openssm", worker: process.pid } });
  const storage = openStorage(config.databaseUrl);
  const masterKey = loadMasterKey(config.dataDir, config.masterKey);
  const services = createServices(config, storage, masterKey, log, start.accountId, { audit: auditRelay(send) });
  const authenticator = new Authenticator(storage.db, masterKey, config.credentialCacheSeconds * 1000, () => services.clock.now(), config.regions);
  const dispatcher = new Dispatcher(services, authenticator);
  // The capabilities that own a read-only operation; their start() only registers (taggable types,
  // scheduler jobs that never run here), it starts no work.
  const local = allCapabilities.filter((c) => c.operations?.some((o) => o.readOnly));
  for (const c of local) for (const o of c.operations ?? []) dispatcher.register(o);
  for (const c of local) await c.start?.(services);
  const answeredHere = localOperations(allCapabilities);

  const forwarder = new Forwarder(main);
  const api = apiHandler(dispatcher, authenticator, services);
  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const target = req.headers["x-amz-target"];
    if (isApiRequest(req) && typeof target === "string" && answeredHere.has(target)) api(req, res);
    else forwarder.request(req, res);
  });
  server.on("upgrade", (req, socket, head) => forwarder.upgrade(req, socket, head));
  server.keepAliveTimeout = 65_000;

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 5_000);
    force.unref();
    await new Promise<void>((r) => server.once("close", () => r()));
    forwarder.close();
    await services.audit.close();
    await storage.close();
    process.exit(0);
  };
  process.on("message", (m) => {
    if (isMessage<ToWorker>(m) && m.openssm === "stop") void stop();
  });
  // The main process is gone: nothing to forward to and no one to audit for.
  process.on("disconnect", () => void stop());
  process.on("SIGTERM", () => void stop());
  // Ctrl-C reaches the whole process group: the main process decides when its workers stop.
  process.on("SIGINT", () => {});

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: config.host, port: config.port }, () => resolve());
  });
  send({ openssm: "listening", port: (server.address() as AddressInfo).port });
}

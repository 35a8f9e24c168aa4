import http, { type IncomingMessage, type ServerResponse } from "node:http";
import https from "node:https";
import type { TLSSocket } from "node:tls";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { Authenticator } from "../iam/authenticate.js";
import { handleStsQuery } from "./sts.js";
import type { Capability, Services } from "../runtime.js";
import type { Dispatcher, WireRequest, WireResponse } from "./dispatch.js";
import { callerFaultOf } from "../errors.js";
import { clientAddress } from "./forwarded.js";
import { metricsRoutes } from "../metrics/index.js";
import { registerConsoleRoutes } from "./console-static.js";

export const BODY_LIMIT = 2 * 1024 * 1024;

/** A request to one of the HTTP routes beside the JSON API, as authentication and handlers see it. */
export function wireRequest(services: Services, req: FastifyRequest): WireRequest {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
    sourceIp: clientAddress(services, req.raw),
    secure: req.protocol === "https",
  };
}

/** A websocket upgrade request (no body), as authentication sees it. */
export function upgradeRequest(services: Services, req: IncomingMessage): WireRequest {
  return {
    method: req.method ?? "GET",
    url: req.url ?? "/",
    headers: req.headers,
    body: Buffer.alloc(0),
    sourceIp: clientAddress(services, req),
    secure: Boolean((req.socket as TLSSocket).encrypted),
  };
}

/**
 * The API's own request path: POST / (every SSM, KMS, ec2messages and STS call) is read and answered
 * straight on Node's http server, without Fastify's routing and hooks, because it is the hot path;
 * everything else (health, agent channels, downloads) goes through Fastify.
 */
export function apiHandler(dispatcher: Dispatcher, authenticator: Authenticator, services: Services) {
  const answer = (res: ServerResponse, r: WireResponse) => {
    res.writeHead(r.status, r.headers);
    res.end(r.body);
  };
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= BODY_LIMIT) chunks.push(chunk);
    });
    req.on("error", () => res.destroy());
    req.on("end", () => {
      if (size > BODY_LIMIT) {
        const code = "RequestEntityTooLargeException";
        answer(res, {
          status: 413,
          headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": code },
          body: JSON.stringify({ __type: code, message: `The request body exceeds the limit of ${BODY_LIMIT} bytes.` }),
        });
        return;
      }
      const wire: WireRequest = {
        method: "POST",
        url: req.url ?? "/",
        headers: req.headers,
        body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size),
        sourceIp: clientAddress(services, req),
        secure: Boolean((req.socket as TLSSocket).encrypted),
      };
      const target = req.headers["x-amz-target"];
      const sts = !target && String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded");
      const work = sts ? handleStsQuery(authenticator, wire) : dispatcher.handle(Array.isArray(target) ? target[0] : (target ?? ""), wire);
      work.then(
        (r) => answer(res, r),
        (err) => {
          services.log.error({ err }, "unhandled error in the API path");
          answer(res, {
            status: 500,
            headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": "InternalServerError" },
            body: JSON.stringify({ __type: "InternalServerError", message: "An internal error occurred." }),
          });
        },
      );
    });
  };
}

export const isApiRequest = (req: IncomingMessage) => req.method === "POST" && (req.url === "/" || req.url?.startsWith("/?") === true);

/** The HTTP surface: the JSON 1.1 API on POST /, STS's query protocol, health, and test hooks. */
export async function buildApp(
  services: Services,
  dispatcher: Dispatcher,
  authenticator: Authenticator,
  capabilities: Capability[],
  opts: { https?: { key: string; cert: string } } = {},
): Promise<FastifyInstance> {
  // forceCloseConnections: a stopping server drops idle keep-alive connections instead of waiting out their timeout.
  const base = { logger: false, bodyLimit: BODY_LIMIT, trustProxy: false, return503OnClosing: false, forceCloseConnections: true } as const;
  // The TLS listener (agents' wss:// channels) serves the same routes as the plain one.
  const api = apiHandler(dispatcher, authenticator, services);
  const app = Fastify({
    ...base,
    serverFactory: (fastifyHandler) => {
      const route = (req: IncomingMessage, res: ServerResponse) => (isApiRequest(req) ? api(req, res) : fastifyHandler(req, res));
      const server = opts.https ? https.createServer(opts.https, route) : http.createServer(route);
      // Longer than Node's 5 s (Fastify sets none for a server it did not create): fewer idle agent
      // connections are closed just as the agent sends on them; as the API workers' servers do.
      server.keepAliveTimeout = 65_000;
      return server;
    },
  }) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: BODY_LIMIT }, (_req, body, done) => done(null, body));

  app.get("/health", async (_req, reply) => {
    await services.db.selectNoFrom((eb) => eb.val(1).as("one")).execute();
    return reply.send({ status: "ok", engine: services.engine });
  });
  metricsRoutes(app, services);
  registerConsoleRoutes(app, services);

  if (services.config.testClock) {
    app.post("/_openssm/clock", async (req, reply) => {
      let seconds: unknown;
      try {
        seconds = (JSON.parse((Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "") || "{}") as { advanceSeconds?: unknown } | null)?.advanceSeconds;
      } catch {
        seconds = Number.NaN;
      }
      if (seconds !== undefined && (typeof seconds !== "number" || !Number.isFinite(seconds))) {
        const code = "SerializationException";
        return reply
          .code(400)
          .headers({ "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": code })
          .send(JSON.stringify({ __type: code, message: 'The body must be JSON: {"advanceSeconds": <number>}.' }));
      }
      if (seconds) services.clock.advance(seconds * 1000);
      await services.scheduler.tick();
      await services.audit.flush();
      return reply.send({ now: services.clock.now() / 1000 });
    });
  }

  for (const c of capabilities) await c.http?.(app, { services, authenticator, context: dispatcher.context });

  app.setErrorHandler((error: import("fastify").FastifyError, req, reply) => {
    const fault = callerFaultOf(error);
    if (fault) {
      return void reply
        .code(fault.status)
        .headers({ "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": fault.code })
        .send(JSON.stringify({ __type: fault.code, message: fault.message }));
    }
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) services.log.error({ err: error, url: req.url }, "unhandled error");
    const code = status === 413 ? "RequestEntityTooLargeException" : status === 500 ? "InternalServerError" : "SerializationException";
    const message =
      status === 413 ? `The request body exceeds the limit of ${BODY_LIMIT} bytes.` : status === 500 ? "An internal error occurred." : error.message;
    void reply
      .code(status)
      .headers({ "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": code })
      .send(JSON.stringify({ __type: code, message }));
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ __type: "UnknownOperationException", message: `Nothing is served at ${req.method} ${req.url}` });
  });
  return app;
}

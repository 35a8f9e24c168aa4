import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { CreateChannelInput, OpenDataChannelInput } from "@openssm/protocol";
import type { FastifyInstance } from "fastify";
import WebSocket, { WebSocketServer } from "ws";
import { auditChannelCall, authenticateNode } from "../../agents/control-channel/node-request.js";
import { addUpgradeRoute, markUpgraded, rejectUpgrade, xmlEscape } from "../../agents/upgrade-routes.js";
import { upgradeRequest, wireRequest } from "../../http/app.js";
import type { WireRequest } from "../../http/dispatch.js";
import { ApiError } from "../../errors.js";
import { type ChannelHome, controlChannelHome } from "../../agents/index.js";
import type { HttpDeps, RequestContext, Services } from "../../runtime.js";
import { carryToReplica, registerReplicaLink } from "./replica-link.js";
import type { Side } from "./relay.js";
import { sessionHub } from "./session-hub.js";
import { consumeToken, findSessionById, isActive, issueAgentToken } from "./store.js";

const PREFIX = "/v1/data-channel/";
/** The agent's non-retryable error (amazon-ssm-agent matches this text). */
const ALREADY_TERMINATED = "Session is already terminated";
/** How long a new data-channel socket may take to send its OpenDataChannelInput. */
const OPEN_TIMEOUT_MS = 30_000;
const MAX_FRAME = 4 * 1024 * 1024;

/** The session id of a data-channel URL; a URIError (bad percent-encoding) makes the upgrade router answer 400. */
function sessionIdOf(url: string): string {
  const path = url.split("?")[0];
  return decodeURIComponent(path.slice(PREFIX.length).split("/")[0] ?? "");
}

function xml(e: ApiError): string {
  return `<${e.code}><Message>${xmlEscape(e.message)}</Message></${e.code}>`;
}

/**
 * `POST /v1/data-channel/<sessionId>` (CreateDataChannel): the target node, signed for ssmmessages
 * with its own credentials, gets a single-use token for its side of the data channel (201 + XML).
 */
function registerCreateDataChannel(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Params: { sessionId: string } }>(`${PREFIX}:sessionId`, async (req, reply) => {
    const started = performance.now();
    const wire = wireRequest(deps.services, req);
    const sessionId = req.params.sessionId;
    let ctx: RequestContext | undefined;
    if (sessionHub(deps.services).isStopped) {
      // Shutting down: no new data channels, and no keep-alive connection to hold the server open.
      return reply
        .code(503)
        .header("connection", "close")
        .header("content-type", "application/xml")
        .send("<ServiceUnavailable><Message>The server is shutting down; retry in a moment.</Message></ServiceUnavailable>");
    }
    try {
      const row = await findSessionById(deps.services.db, sessionId);
      if (!row) throw new ApiError("ResourceNotFoundException", `Session ${sessionId} does not exist.`, 404);
      ctx = await authenticateNode(deps, wire, row.target, "CreateDataChannel");
      if (ctx.accountId !== row.account_id) throw new ApiError("AccessDeniedException", `Session ${sessionId} is not in the node's account.`, 403);
      let input: Partial<CreateChannelInput>;
      try {
        input = JSON.parse(wire.body.toString("utf8") || "{}") as Partial<CreateChannelInput>;
      } catch {
        throw new ApiError("ValidationException", "The body must be JSON: {MessageSchemaVersion, RequestId, ClientId}.");
      }
      if (typeof input.MessageSchemaVersion !== "string") throw new ApiError("ValidationException", "MessageSchemaVersion is required (1.0).");
      if (!isActive(row.status) || row.status === "Terminating") throw new ApiError("BadRequestException", ALREADY_TERMINATED);
      const token = await issueAgentToken(deps.services.db, sessionId, deps.services.clock.now());
      auditChannelCall(deps, { wire, ctx, operation: "CreateDataChannel", instanceId: row.target, started });
      return reply
        .code(201)
        .header("content-type", "application/xml")
        .header("x-amzn-requestid", ctx.requestId)
        .send(
          `<CreateDataChannelResponse><MessageSchemaVersion>1.0</MessageSchemaVersion><TokenValue>${xmlEscape(token)}</TokenValue></CreateDataChannelResponse>`,
        );
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      auditChannelCall(deps, { wire, ctx, operation: "CreateDataChannel", instanceId: sessionId, error: e, started });
      return reply.code(e.status).header("content-type", "application/xml").header("x-amzn-errortype", e.code).send(xml(e));
    }
  });
}

/** Waits for the first text frame (OpenDataChannelInput), keeping any binary frames that follow it. */
function firstFrame(ws: WebSocket): Promise<{ open: OpenDataChannelInput; early: Buffer[] }> {
  return new Promise((resolve, reject) => {
    const early: Buffer[] = [];
    let open: OpenDataChannelInput | undefined;
    const timer = setTimeout(() => fail(new Error("no OpenDataChannelInput within 30 s")), OPEN_TIMEOUT_MS);
    const onMessage = (data: WebSocket.RawData, isBinary: boolean) => {
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (open) {
        if (isBinary) early.push(buf);
        return;
      }
      if (isBinary) return fail(new Error("the first frame must be the OpenDataChannelInput text frame"));
      try {
        open = JSON.parse(buf.toString("utf8")) as OpenDataChannelInput;
      } catch {
        return fail(new Error("the OpenDataChannelInput is not JSON"));
      }
      clearTimeout(timer);
      resolve({ open, early });
    };
    const onClose = () => fail(new Error("closed before OpenDataChannelInput"));
    function fail(e: Error) {
      clearTimeout(timer);
      ws.off("message", onMessage);
      ws.off("close", onClose);
      reject(e);
    }
    ws.on("message", onMessage);
    ws.once("close", onClose);
    // The caller takes over the listeners once it attaches the socket to a relay.
    (ws as WebSocket & { stopEarly?: () => void }).stopEarly = () => {
      ws.off("message", onMessage);
      ws.off("close", onClose);
    };
  });
}

interface Admitted {
  side: Side;
  clientId: string;
  /** The replica holding the session's relay when it is not this one (the socket is carried there). */
  relayElsewhere?: ChannelHome;
}

/**
 * Where a session's relay is: here when this replica has it or holds the node's control channel (or
 * nobody does), else on the live replica holding the node's control channel.
 */
async function relayHome(services: Services, sessionId: string, target: string): Promise<ChannelHome | undefined> {
  if (sessionHub(services).local(sessionId)) return undefined;
  const home = await controlChannelHome(services, target);
  return home && !home.local ? home : undefined;
}

/** Whose side a socket is, checked: the agent by its signature and token, the client by its token. */
async function admit(deps: HttpDeps, wire: WireRequest, sessionId: string, open: OpenDataChannelInput): Promise<Admitted> {
  const services = deps.services;
  const row = await findSessionById(services.db, sessionId);
  const ended = !row || !isActive(row.status) || row.status === "Terminating";
  const relayElsewhere = row ? await relayHome(services, sessionId, row.target) : undefined;
  // A client may still join a session that just ended by itself, to see its last output (the relay decides).
  const lateClient = !open.ClientInstanceId && (relayElsewhere !== undefined || sessionHub(services).local(sessionId)?.awaitingClient === true);
  if (!row || (ended && !lateClient)) throw new ApiError("BadRequestException", ALREADY_TERMINATED);
  const token = typeof open.TokenValue === "string" ? open.TokenValue : "";
  const now = services.clock.now();
  if (open.ClientInstanceId) {
    if (open.ClientInstanceId !== row.target)
      throw new ApiError("AccessDeniedException", `Session ${sessionId} targets ${row.target}, not ${open.ClientInstanceId}.`);
    const ctx = await authenticateNode(deps, wire, row.target, "OpenDataChannel");
    if (ctx.accountId !== row.account_id) throw new ApiError("AccessDeniedException", `Session ${sessionId} is not in the node's account.`);
    if (!(await consumeToken(services.db, row, "agent", token, now))) {
      throw new ApiError("AccessDeniedException", "The data-channel token is not valid: it was used already, has expired, or belongs to another session.");
    }
    return { side: "agent", clientId: String(open.ClientId ?? ""), relayElsewhere };
  }
  if (!(await consumeToken(services.db, row, "client", token, now))) {
    throw new ApiError("AccessDeniedException", "The session token is not valid: it was used already or has expired. Call ResumeSession for a new one.");
  }
  return { side: "client", clientId: String(open.ClientId ?? ""), relayElsewhere };
}

function handleUpgrade(deps: HttpDeps, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const sessionId = sessionIdOf(req.url ?? "");
  if (!sessionId) {
    rejectUpgrade(socket, 404, "NotFound", "The data-channel URL names no session.");
    return;
  }
  if (sessionHub(deps.services).isStopped) {
    rejectUpgrade(socket, 503, "ServiceUnavailable", "The server is shutting down; reconnect in a moment.");
    return;
  }
  const wire = upgradeRequest(deps.services, req);
  wss.handleUpgrade(req, socket, head, (ws) => {
    markUpgraded(socket);
    void (async () => {
      try {
        const { open, early } = await firstFrame(ws);
        const { side, clientId, relayElsewhere } = await admit(deps, wire, sessionId, open);
        if (relayElsewhere) {
          (ws as WebSocket & { stopEarly?: () => void }).stopEarly?.();
          await carryToReplica(deps.services, ws, relayElsewhere, { sessionId, side, clientId }, early);
          return;
        }
        const relay = await sessionHub(deps.services).relayFor(sessionId);
        (ws as WebSocket & { stopEarly?: () => void }).stopEarly?.();
        if (!relay) throw new ApiError("BadRequestException", ALREADY_TERMINATED);
        if (side === "client") relay.clientId = clientId;
        relay.attach(side, ws);
        for (const frame of early) ws.emit("message", frame, true);
      } catch (e) {
        (ws as WebSocket & { stopEarly?: () => void }).stopEarly?.();
        deps.services.log.debug({ err: e, sessionId }, "a data-channel connection was refused");
        if (sessionHub(deps.services).isStopped) ws.terminate();
        else if (ws.readyState === WebSocket.OPEN) ws.close(1008, (e as Error).message.slice(0, 120));
      }
    })();
  });
}

/** The data channel: CreateDataChannel for agents and the websocket both ends of a session open. */
export function registerDataChannel(app: FastifyInstance, deps: HttpDeps): void {
  registerCreateDataChannel(app, deps);
  registerReplicaLink(app, deps);
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  addUpgradeRoute(app.server as Server, PREFIX, (req, socket, head) => handleUpgrade(deps, wss, req, socket, head), deps.services.log);
  // preClose: before the server waits for its connections to end (an onClose hook would run after).
  app.addHook("preClose", async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
}

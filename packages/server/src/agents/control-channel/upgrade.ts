import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { FastifyInstance } from "fastify";
import { WebSocketServer } from "ws";
import type { WireRequest } from "../../http/dispatch.js";
import { ApiError } from "../../errors.js";
import type { HttpDeps, RequestContext } from "../../runtime.js";
import { deliveryHub } from "../hub.js";
import { addUpgradeRoute, markUpgraded, rejectUpgrade } from "../upgrade-routes.js";
import { ControlChannelConnection } from "./connection.js";
import { auditChannelCall, authenticateNode } from "./node-request.js";
import { upgradeRequest } from "../../http/app.js";

const PREFIX = "/v1/control-channel/";

/**
 * `GET /v1/control-channel/<instanceId>?role=subscribe&stream=input` upgraded to a WebSocket: the
 * upgrade request carries the node's SigV4 signature (service ssmmessages) in its headers.
 */
export function registerControlChannelUpgrade(app: FastifyInstance, deps: HttpDeps): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  addUpgradeRoute(app.server, PREFIX, (req: IncomingMessage, socket: Duplex, head: Buffer) => upgrade(deps, wss, req, socket, head), deps.services.log);
}

async function upgrade(deps: HttpDeps, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
  const started = performance.now();
  const rawUrl = req.url ?? "/";
  const path = rawUrl.split("?")[0];
  // A path that does not decode throws URIError here: the upgrade router refuses it with 400.
  const instanceId = decodeURIComponent(path.slice(PREFIX.length));
  const wire: WireRequest = { ...upgradeRequest(deps.services, req), url: rawUrl };
  let ctx: RequestContext | undefined;
  try {
    if (deliveryHub(deps.services).isStopped) throw new ApiError("ServiceUnavailableException", "The server is shutting down; reconnect shortly.", 503);
    ctx = await authenticateNode(deps, wire, instanceId, "OpenControlChannel");
  } catch (e) {
    const err = e instanceof ApiError ? e : new ApiError("InternalServerException", "An internal error occurred.", 500);
    if (!(e instanceof ApiError)) deps.services.log.error({ err: e }, "control channel upgrade failed");
    auditChannelCall(deps, { wire, ctx, operation: "OpenControlChannel", instanceId, error: err, started });
    rejectUpgrade(socket, err.status, err.code, err.message);
    return;
  }
  auditChannelCall(deps, { wire, ctx, operation: "OpenControlChannel", instanceId, started });
  const opened = ctx;
  wss.handleUpgrade(req, socket, head, (ws) => {
    markUpgraded(socket);
    new ControlChannelConnection(deps.services, opened, ws, instanceId).start();
  });
}

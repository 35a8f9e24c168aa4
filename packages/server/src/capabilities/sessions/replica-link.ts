import { randomUUID } from "node:crypto";
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { encodeJsonMessage, MessageType } from "@openssm/protocol";
import type { FastifyInstance } from "fastify";
import WebSocket, { WebSocketServer } from "ws";
import { addUpgradeRoute, type ChannelHome, rejectUpgrade, thisReplicaId } from "../../agents/index.js";
import { markUpgraded } from "../../agents/upgrade-routes.js";
import { openLink } from "../../cluster/link-socket.js";
import { verifyLink } from "../../cluster/link-auth.js";
import type { HttpDeps, Services } from "../../runtime.js";
import type { Side } from "./relay.js";
import { sessionHub } from "./session-hub.js";
import { findSessionById, isActive, setStatus } from "./store.js";

/**
 * Sessions across replicas behind one address: a data-channel socket (the client's or the agent's)
 * may arrive at any replica. The replica that admitted it (token, signature) carries its frames over
 * a signed websocket to the replica holding the node's control channel, where the session's relay is.
 */
const LINK_PREFIX = "/_openssm/replica-link/data-channel/";
const MAX_FRAME = 4 * 1024 * 1024;
/** What a client is told when the replica relaying its session is gone. */
const RELAY_LOST = "The server relaying this session stopped; the session has ended. Start a new session.";

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A close code that may be sent on (1005 and 1006 are only ever reported, never sent). */
function sendable(code: number): number {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : 1011;
}

/**
 * Carries an admitted data-channel socket to the replica holding the session's relay. Frames that
 * come before the link is open are kept and sent in order. When the link breaks (that replica died),
 * a client is told the session ended (channel_closed) and closed cleanly, and the session ends; an
 * agent's socket is dropped, so that its agent reconnects (and learns the session ended).
 */
export async function carryToReplica(
  services: Services,
  ws: WebSocket,
  home: ChannelHome,
  session: { sessionId: string; side: Side; clientId: string },
  early: Buffer[],
): Promise<void> {
  const { sessionId, side, clientId } = session;
  const path = `${LINK_PREFIX}${encodeURIComponent(sessionId)}?side=${side}&client-id=${encodeURIComponent(clientId)}`;
  const pending: Buffer[] = [...early];
  let link: WebSocket | undefined;
  let linkOpen = false;
  let ended = false;
  const fromEdge = (data: WebSocket.RawData, isBinary: boolean) => {
    if (!isBinary) return;
    const frame = toBuffer(data);
    if (linkOpen && link?.readyState === WebSocket.OPEN) link.send(frame);
    else pending.push(frame);
  };
  ws.on("message", fromEdge);
  ws.on("error", (err) => services.log.debug({ err, sessionId, side }, "carried data-channel socket error"));
  ws.once("close", (code, reason) => {
    ended = true;
    if (link && (link.readyState === WebSocket.OPEN || link.readyState === WebSocket.CONNECTING)) {
      if (link.readyState === WebSocket.OPEN) link.close(sendable(code), reason.toString().slice(0, 120));
      else link.terminate();
    }
  });
  const lost = (why: string) => {
    if (ended) return;
    ended = true;
    services.log.warn({ sessionId, side, replica: home.replicaId, why }, "the link to the replica relaying a session broke");
    if (side === "agent") {
      ws.terminate();
      return;
    }
    if (ws.readyState === WebSocket.OPEN) {
      ws.send(channelClosed(services, sessionId, clientId, RELAY_LOST));
      ws.close(1000, "session terminated");
    }
    void endSession(services, sessionId).catch((err) => services.log.warn({ err, sessionId }, "could not end a session whose relay was lost"));
  };
  try {
    link = await openLink(services, thisReplicaId(services), home, path);
  } catch (err) {
    lost((err as Error).message);
    return;
  }
  if (ended) {
    link.terminate();
    return;
  }
  link.on("open", () => {
    linkOpen = true;
    for (const frame of pending.splice(0)) link?.send(frame);
  });
  link.on("message", (data, isBinary) => {
    if (isBinary && ws.readyState === WebSocket.OPEN) ws.send(toBuffer(data));
  });
  link.on("unexpected-response", (req, res) => {
    req.destroy();
    lost(`the replica answered ${res.statusCode}`);
  });
  link.on("error", (err) => lost(err.message));
  link.on("close", (code, reason) => {
    if (code === 1006 || !linkOpen) {
      lost(`closed with ${code}`);
      return;
    }
    ended = true;
    if (ws.readyState === WebSocket.OPEN) ws.close(sendable(code), reason.toString().slice(0, 120));
  });
}

function channelClosed(services: Services, sessionId: string, clientId: string, output: string): Buffer {
  const now = services.clock.now();
  return encodeJsonMessage(
    MessageType.ChannelClosed,
    {
      MessageType: MessageType.ChannelClosed,
      MessageId: randomUUID(),
      CreatedDate: new Date(now).toISOString(),
      DestinationId: clientId,
      SessionId: sessionId,
      SchemaVersion: 1,
      Output: output,
    },
    { flags: 3 },
  );
}

/** The relay is gone with its replica: the session is over. */
async function endSession(services: Services, sessionId: string): Promise<void> {
  const row = await findSessionById(services.db, sessionId);
  if (row && isActive(row.status)) await setStatus(services.db, sessionId, "Terminated", services.clock.now(), { details: RELAY_LOST });
}

/** The relay's end of a link: another replica of this cluster hands over a socket it admitted. */
function handleLinkUpgrade(deps: HttpDeps, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const services = deps.services;
  const url = req.url ?? "";
  const verdict = verifyLink(services, req.headers, url);
  if ("refused" in verdict) {
    services.log.warn({ why: verdict.refused }, "refused a replica link");
    rejectUpgrade(socket, 403, "AccessDeniedException", `Replica link refused: ${verdict.refused}.`);
    return;
  }
  const parsed = new URL(url, "http://replica");
  const sessionId = decodeURIComponent(parsed.pathname.slice(LINK_PREFIX.length));
  const side = parsed.searchParams.get("side");
  if (!sessionId || (side !== "client" && side !== "agent")) {
    rejectUpgrade(socket, 400, "ValidationException", "A replica link names a session and side=client or side=agent.");
    return;
  }
  const hub = sessionHub(services);
  if (hub.isStopped) {
    rejectUpgrade(socket, 503, "ServiceUnavailable", "The server is shutting down.");
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    markUpgraded(socket);
    void (async () => {
      const relay = await hub.relayFor(sessionId);
      if (!relay) {
        ws.close(1008, "Session is already terminated");
        return;
      }
      if (side === "client") relay.clientId = parsed.searchParams.get("client-id") ?? "";
      relay.attach(side, ws);
    })().catch((err) => {
      services.log.warn({ err, sessionId }, "a replica link could not be attached");
      ws.terminate();
    });
  });
}

/** Serves the relay's end of replica links. */
export function registerReplicaLink(app: FastifyInstance, deps: HttpDeps): void {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  addUpgradeRoute(app.server as Server, LINK_PREFIX, (req, socket, head) => handleLinkUpgrade(deps, wss, req, socket, head), deps.services.log);
  app.addHook("preClose", async () => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
}

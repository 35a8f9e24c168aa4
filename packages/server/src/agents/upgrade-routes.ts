import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "pino";

/** Handles one upgrade request; a throw or a rejected promise refuses that request alone. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void | Promise<void>;

const routes = new WeakMap<Server, { prefix: string; handler: UpgradeHandler }[]>();

/**
 * Routes WebSocket upgrades of one HTTP(S) server by path prefix (control channels here, data channels
 * for sessions), with one 'upgrade' listener per server; other paths get 404. Nothing an upgrade
 * request carries may end the process: a handler's throw or rejection becomes an HTTP error on that
 * socket (or, once the socket speaks WebSocket, its end), logged.
 */
export function addUpgradeRoute(server: Server, prefix: string, handler: UpgradeHandler, log: Pick<Logger, "warn" | "error">): void {
  let list = routes.get(server);
  if (!list) {
    const created: { prefix: string; handler: UpgradeHandler }[] = [];
    list = created;
    routes.set(server, created);
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // A reset connection must not become an unhandled 'error' event.
      socket.on("error", () => socket.destroy());
      const refuse = (err: unknown) => {
        const bad = err instanceof URIError;
        if (bad) log.warn({ err, url: req.url?.slice(0, 200) }, "refused a websocket upgrade whose path does not decode");
        else log.error({ err, url: req.url?.slice(0, 200) }, "a websocket upgrade handler failed");
        if (socket.destroyed) return;
        if (upgraded.has(socket)) socket.destroy();
        else if (bad) rejectUpgrade(socket, 400, "BadRequest", "The request path is not valid percent-encoded UTF-8.");
        else rejectUpgrade(socket, 500, "InternalServerError", "An internal error occurred; the server log has the details.");
      };
      try {
        const path = (req.url ?? "/").split("?")[0];
        const route = created.find((r) => path.startsWith(r.prefix));
        if (!route) {
          rejectUpgrade(socket, 404, "NotFound", `Nothing is served at ${path.slice(0, 200)}`);
          return;
        }
        const done = route.handler(req, socket, head);
        if (done) done.catch(refuse);
      } catch (e) {
        refuse(e);
      }
    });
  }
  list.push({ prefix, handler });
}

/** Sockets handed over to a WebSocket: an HTTP error can no longer be written on them. */
const upgraded = new WeakSet<Duplex>();

/** Marks a socket as speaking WebSocket from now on: call it first thing in `handleUpgrade`'s callback. */
export function markUpgraded(socket: Duplex): void {
  upgraded.add(socket);
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] as string);
}

/** Answers an upgrade request with an HTTP error (an XML body naming the error, as MGS does) and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = `<${code}><Message>${xmlEscape(message)}</Message></${code}>`;
  const reason =
    { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable" }[status] ??
    "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nx-amzn-errortype: ${code}\r\n\r\n${body}`,
  );
}

export { xmlEscape };

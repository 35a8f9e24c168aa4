import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

const routes = new WeakMap<Server, { prefix: string; handler: UpgradeHandler }[]>();

/**
 * Routes WebSocket upgrades of one HTTP(S) server by path prefix (control channels here, data channels
 * for sessions), with one 'upgrade' listener per server; other paths get 404.
 */
export function addUpgradeRoute(server: Server, prefix: string, handler: UpgradeHandler): void {
  let list = routes.get(server);
  if (!list) {
    const created: { prefix: string; handler: UpgradeHandler }[] = [];
    list = created;
    routes.set(server, created);
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? "/").split("?")[0];
      const route = created.find((r) => path.startsWith(r.prefix));
      if (route) route.handler(req, socket, head);
      else rejectUpgrade(socket, 404, "NotFound", `Nothing is served at ${path}`);
    });
  }
  list.push({ prefix, handler });
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" })[c] as string);
}

/** Answers an upgrade request with an HTTP error (an XML body naming the error, as MGS does) and closes the socket. */
export function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = `<${code}><Message>${xmlEscape(message)}</Message></${code}>`;
  const reason = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable" }[status] ?? "Error";
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/xml\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\nx-amzn-errortype: ${code}\r\n\r\n${body}`,
  );
}

export { xmlEscape };

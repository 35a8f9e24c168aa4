import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { FORWARD_TOKEN, FORWARDED_FOR } from "../http/forwarded.js";

/** Where a worker passes what it does not answer itself: the main process's internal listener. */
export interface MainProcess {
  /** A Unix socket only this user can open (no port to collide with, nothing on the network). */
  socketPath: string;
  /** Proves to the main process that the forwarded caller address comes from its own worker. */
  token: string;
}

/** Headers that belong to one connection, not to the request or answer (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

function endToEnd(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** Headers of a request as the main process must see them: the caller's, plus who the caller is. */
function forwardedHeaders(req: IncomingMessage, main: MainProcess): http.OutgoingHttpHeaders {
  const headers = endToEnd(req.headers);
  headers[FORWARDED_FOR] = req.socket.remoteAddress ?? "";
  headers[FORWARD_TOKEN] = main.token;
  return headers;
}

/**
 * Passes requests, and websocket upgrades, to the main process unchanged (the Host header and body
 * are kept, so SigV4 still verifies there) and streams the answer back.
 */
export class Forwarder {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });

  constructor(private readonly main: MainProcess) {}

  request(req: IncomingMessage, res: ServerResponse): void {
    const upstream = http.request(
      { socketPath: this.main.socketPath, method: req.method, path: req.url, headers: forwardedHeaders(req, this.main), agent: this.agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
        answer.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const code = "ServiceUnavailableException";
      res.writeHead(503, { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": code });
      res.end(JSON.stringify({ __type: code, message: "The server's main process is not answering; retry in a moment." }));
    });
    req.pipe(upstream);
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
    });
  }

  /** A websocket upgrade (agents' and clients' channels): the raw connection is joined to the main process. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const upstream = net.connect({ path: this.main.socketPath });
    const close = () => {
      socket.destroy();
      upstream.destroy();
    };
    upstream.once("connect", () => {
      const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i];
        const lower = name.toLowerCase();
        if (lower === FORWARDED_FOR || lower === FORWARD_TOKEN) continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`${FORWARDED_FOR}: ${req.socket.remoteAddress ?? ""}`, `${FORWARD_TOKEN}: ${this.main.token}`);
      upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
    upstream.on("error", close);
    socket.on("error", close);
    upstream.on("close", close);
    socket.on("close", close);
  }

  close(): void {
    this.agent.destroy();
  }
}

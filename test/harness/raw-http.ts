import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import type { TestServer } from "./server.js";

export interface RawAnswer {
  /** The status code of the first response line; 0 when the server closed without answering. */
  status: number;
  /** Everything the server sent before it closed the connection or the wait ended (latin1). */
  text: string;
}

/**
 * Sends bytes exactly as given (malformed requests that fetch would refuse to send) to the server's
 * plain port or its TLS port, and reads the answer until the server closes the connection, the
 * answer's head is complete and `untilHead` is set, or `waitMs` passes.
 */
export function rawRequest(
  server: TestServer,
  request: string | Buffer,
  opts: { tls?: boolean; waitMs?: number; untilHead?: boolean } = {},
): Promise<RawAnswer> {
  const waitMs = opts.waitMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket: net.Socket = opts.tls
      ? tls.connect({ host: "127.0.0.1", port: Number(new URL(server.tlsEndpoint).port), ca: readFileSync(server.caFile) })
      : net.connect({ host: "127.0.0.1", port: server.port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString("latin1");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : 0, text });
    };
    const timer = setTimeout(finish, waitMs);
    socket.once(opts.tls ? "secureConnect" : "connect", () => socket.write(request));
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      if (opts.untilHead && Buffer.concat(chunks).includes("\r\n\r\n")) finish();
    });
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", (e: NodeJS.ErrnoException) => {
      // A reset after the answer is an answer; a refused connection means the server is gone.
      if (chunks.length || e.code === "ECONNRESET" || e.code === "EPIPE") finish();
      else if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(e);
      }
    });
  });
}

/** A websocket upgrade request for a path (a valid Sec-WebSocket-Key unless `key` says otherwise). */
export function upgradeRequest(path: string, extra: Record<string, string> = {}, key: string | null = "dGhlIHNhbXBsZSBub25jZQ=="): string {
  const lines = [`GET ${path} HTTP/1.1`, "Host: 127.0.0.1", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Version: 13"];
  if (key !== null) lines.push(`Sec-WebSocket-Key: ${key}`);
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}

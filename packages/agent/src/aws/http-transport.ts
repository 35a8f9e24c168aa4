import http from "node:http";
import https from "node:https";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class HttpTimeoutError extends Error {}

/**
 * Keep-alive connection pools for one CA bundle. The fleet simulator shares one between all its
 * nodes; an agent process has one of its own.
 */
export class HttpTransport {
  readonly httpAgent: http.Agent;
  readonly httpsAgent: https.Agent;

  /** Trusted CAs (the public roots plus the server's own CA), built once for every connection. */
  readonly secureContext?: SecureContext;

  /** @param ca PEM of the server's own CA (kept as `ca` for callers that pass it on themselves). */
  constructor(readonly ca?: string | Buffer) {
    this.secureContext = ca ? createSecureContext({ ca: [...rootCertificates, ca] }) : undefined;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, keepAliveMsecs: 15_000 });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, secureContext: this.secureContext, keepAliveMsecs: 15_000 });
  }

  request(method: string, url: URL, headers: Record<string, string>, body: string | Buffer, timeoutMs: number): Promise<HttpResponse> {
    return this.send(method, url, headers, body, timeoutMs).catch((e: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
      // A kept-alive connection the server closed as idle just as this request went out: the server
      // never read the request, so it is sent once more on a new connection (Node's documented remedy).
      if (e.reusedSocket && e.code === "ECONNRESET") return this.send(method, url, headers, body, timeoutMs);
      throw e;
    });
  }

  private send(method: string, url: URL, headers: Record<string, string>, body: string | Buffer, timeoutMs: number): Promise<HttpResponse> {
    const secure = url.protocol === "https:";
    const lib = secure ? https : http;
    return new Promise((resolve, reject) => {
      let answered = false;
      const req = lib.request(
        {
          method,
          hostname: url.hostname.replace(/^\[|\]$/g, ""),
          port: url.port || (secure ? 443 : 80),
          path: `${url.pathname}${url.search}`,
          headers: { ...headers, "content-length": Buffer.byteLength(body) },
          agent: secure ? this.httpsAgent : this.httpAgent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
          });
          res.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new HttpTimeoutError(`${method} ${url.origin}${url.pathname} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on("error", (e) => {
        clearTimeout(timer);
        reject(Object.assign(e, { reusedSocket: req.reusedSocket && !answered }));
      });
      req.on("response", () => {
        answered = true;
      });
      req.end(body);
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

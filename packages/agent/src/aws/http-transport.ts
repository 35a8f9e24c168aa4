import http from "node:http";
import https from "node:https";
import { createSecureContext, rootCertificates, type SecureContext } from "node:tls";

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class HttpTimeoutError extends Error {}

/** Node's codes for a server certificate that the trusted CAs do not verify. */
const UNTRUSTED =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_UNTRUSTED)$/;

/** Whether an error is a TLS handshake that failed because no trusted CA verifies the server's certificate. */
export function isUntrustedCertificate(e: unknown): boolean {
  return UNTRUSTED.test(String((e as NodeJS.ErrnoException)?.code ?? ""));
}

/**
 * Keep-alive connection pools for one CA bundle. The fleet simulator shares one between all its
 * nodes; an agent process has one of its own.
 */
export class HttpTransport {
  readonly httpAgent: http.Agent;
  httpsAgent: https.Agent;

  /**
   * Trusted CAs for every TLS connection. With the server's own CA (`--ca-file`) that CA alone at
   * first: parsing the ~140 public roots costs about 1 MiB that an agent talking to a server with a
   * private CA never needs. When a server certificate does not verify against it (a server behind a
   * publicly signed balancer, say), `trustPublicRoots` adds the public roots and the connection is
   * tried again. Without a CA file: Node's default (the public roots).
   */
  secureContext?: SecureContext;
  private publicRoots = false;

  /** @param ca PEM of the server's own CA (kept as `ca` for callers that pass it on themselves). */
  constructor(readonly ca?: string | Buffer) {
    this.secureContext = ca ? createSecureContext({ ca }) : undefined;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, keepAliveMsecs: 15_000 });
    this.httpsAgent = this.newHttpsAgent();
  }

  private newHttpsAgent(): https.Agent {
    return new https.Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY, secureContext: this.secureContext, keepAliveMsecs: 15_000 });
  }

  /**
   * Trusts the public roots as well as the server's CA from now on (after a certificate the CA alone
   * did not verify). False when there is nothing to add (no CA file, or done already).
   */
  trustPublicRoots(): boolean {
    if (!this.ca || this.publicRoots) return false;
    this.publicRoots = true;
    this.secureContext = createSecureContext({ ca: [...rootCertificates, this.ca] });
    const previous = this.httpsAgent;
    this.httpsAgent = this.newHttpsAgent();
    previous.destroy();
    return true;
  }

  request(method: string, url: URL, headers: Record<string, string>, body: string | Buffer, timeoutMs: number): Promise<HttpResponse> {
    return this.send(method, url, headers, body, timeoutMs).catch((e: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
      // A kept-alive connection the server closed as idle just as this request went out: the server
      // never read the request, so it is sent once more on a new connection (Node's documented remedy).
      if (e.reusedSocket && e.code === "ECONNRESET") return this.send(method, url, headers, body, timeoutMs);
      // The server's certificate is not signed by its CA file alone: once more with the public roots too.
      if (isUntrustedCertificate(e) && this.trustPublicRoots()) return this.send(method, url, headers, body, timeoutMs);
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

import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Services } from "../runtime.js";

/** Where `node packages/console/build.mjs` writes the console (packages/console/dist). */
export const CONSOLE_DIST = fileURLToPath(new URL("../../../console/dist/", import.meta.url));
export const CONSOLE_PATH = "/console/";
const BUILD_COMMAND = "node packages/console/build.mjs";

/** Whether the console was built (npm install's prepare script builds it). */
export const consoleBuilt = () => existsSync(join(CONSOLE_DIST, "index.html"));

/**
 * The console's policy: scripts only from this origin (no inline script, no eval), API calls and the
 * session WebSocket only to this origin. Inline styles are allowed: the sign-in page inlines its small
 * stylesheet (painted before any file loads), xterm.js and Cloudscape set styles on elements and xterm
 * adds a <style> for its renderer; no script can come in through them.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".map": "application/json",
};

const SECURITY_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** esbuild's content hash in a file name (console-E5UZLYQX.js, chunks/chunk-6DHFEWGX.js): the file never changes. */
const HASHED = /-[A-Z2-7]{8}\.[a-z0-9]+$/;
/** A hashed file is kept by browsers for a year without asking again; index.html is revalidated (a 304 when unchanged). */
const IMMUTABLE = "public, max-age=31536000, immutable";

interface StaticFile {
  body: Buffer;
  /** The gzip copy build.mjs wrote beside it, when there is one. */
  gzip?: Buffer;
  etag: string;
  type: string;
  mtimeMs: number;
  size: number;
}

/**
 * The console's files in memory: each is read once (asynchronously, never on the request path after
 * the first time), with its .gz copy; a file that is not hashed is read again when it changed on disk
 * (a rebuild while the server runs).
 */
class ConsoleFiles {
  private files = new Map<string, Promise<StaticFile | undefined>>();

  get(file: string): Promise<StaticFile | undefined> {
    const cached = this.files.get(file);
    if (cached && HASHED.test(file)) return cached;
    const next = (async () => {
      const st = await stat(file).catch(() => undefined);
      if (!st?.isFile()) return undefined;
      const old = cached && (await cached);
      if (old && old.mtimeMs === st.mtimeMs && old.size === st.size) return old;
      const [body, gzip] = await Promise.all([readFile(file), readFile(`${file}.gz`).catch(() => undefined)]);
      const tag = `${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}`;
      return { body, gzip, etag: tag, type: TYPES[extname(file)] ?? "application/octet-stream", mtimeMs: st.mtimeMs, size: st.size };
    })();
    this.files.set(file, next);
    const forget = () => {
      if (this.files.get(file) === next) this.files.delete(file);
    };
    next.then((f) => f === undefined && forget(), forget);
    return next;
  }

  /** Reads the sign-in page's files ahead of the first request (a cold server answers from memory). */
  warm(): void {
    readFile(join(CONSOLE_DIST, "manifest.json"), "utf8")
      .then((text) => {
        const m = JSON.parse(text) as { signIn?: string[]; app?: string[] };
        for (const f of [...(m.signIn ?? []), ...(m.app ?? [])]) void this.get(join(CONSOLE_DIST, f));
      })
      .catch(() => undefined);
  }
}

/**
 * `GET /console/...`: the web console's static files (packages/console/dist), with a strict CSP, gzip
 * when the browser takes it (build.mjs writes .gz beside the large files), long-lived caching for
 * the hashed files, and `/console/config.json` (the region the sign-in page preselects). The console
 * calls the API at this same origin, so no CORS.
 */
export function registerConsoleRoutes(app: FastifyInstance, services: Services): void {
  // 404 rather than a 5xx: nothing is wrong with the server, the files are not there yet.
  const notBuilt = (reply: FastifyReply) =>
    reply
      .code(404)
      .headers({ "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS })
      .send(`The openssm console is not built. Build it with \`${BUILD_COMMAND}\` (npm install runs it), then reload.\n`);
  const files = new ConsoleFiles();
  files.warm();

  app.get("/console", async (_req, reply) => reply.redirect(CONSOLE_PATH, 302));
  app.get(`${CONSOLE_PATH}config.json`, async (_req, reply) =>
    reply
      .headers({ "content-type": "application/json", "cache-control": "no-cache", ...SECURITY_HEADERS })
      .send(JSON.stringify({ region: services.config.regions?.[0] ?? "us-east-1" })),
  );
  app.get<{ Params: { "*": string } }>(`${CONSOLE_PATH}*`, async (req, reply) => {
    const wanted = req.params["*"] || "index.html";
    const file = normalize(join(CONSOLE_DIST, wanted));
    if (!file.startsWith(CONSOLE_DIST) || file.includes(`${sep}..${sep}`)) {
      return reply.code(404).send({ __type: "UnknownOperationException", message: `Nothing is served at GET ${req.url}` });
    }
    const found = await files.get(file);
    if (!found) {
      if (!(await files.get(join(CONSOLE_DIST, "index.html")))) return notBuilt(reply);
      return reply.code(404).send({ __type: "UnknownOperationException", message: `The console has no file ${wanted}` });
    }
    const gzip = found.gzip !== undefined && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const etag = `"${found.etag}${gzip ? "-gz" : ""}"`;
    const headers: Record<string, string> = {
      "content-type": found.type,
      "cache-control": HASHED.test(file) ? IMMUTABLE : "no-cache",
      etag,
      vary: "accept-encoding",
      ...SECURITY_HEADERS,
    };
    if (req.headers["if-none-match"] === etag) return reply.code(304).headers(headers).send();
    if (gzip) return reply.headers({ ...headers, "content-encoding": "gzip" }).send(found.gzip);
    return reply.headers(headers).send(found.body);
  });
}

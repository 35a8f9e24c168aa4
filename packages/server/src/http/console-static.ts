import { existsSync, readFileSync, statSync } from "node:fs";
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
 * session WebSocket only to this origin. Inline styles are allowed: xterm.js and Cloudscape set styles
 * on elements and xterm adds a <style> for its renderer; no script can come in through them.
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

/**
 * `GET /console/...`: the web console's static files (packages/console/dist), with a strict CSP, gzip
 * when the browser takes it (build.mjs writes .gz beside the large files), and `/console/config.json`
 * (the region the sign-in page preselects). The console calls the API at this same origin, so no CORS.
 */
export function registerConsoleRoutes(app: FastifyInstance, services: Services): void {
  // 404 rather than a 5xx: nothing is wrong with the server, the files are not there yet.
  const notBuilt = (reply: FastifyReply) =>
    reply
      .code(404)
      .headers({ "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS })
      .send(`The openssm console is not built. Build it with \`${BUILD_COMMAND}\` (npm install runs it), then reload.\n`);

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
    if (!consoleBuilt()) return notBuilt(reply);
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(file);
    } catch {
      stat = undefined;
    }
    if (!stat?.isFile()) return reply.code(404).send({ __type: "UnknownOperationException", message: `The console has no file ${wanted}` });
    const gz = `${file}.gz`;
    const gzip = /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? "")) && existsSync(gz);
    const etag = `"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}${gzip ? "-gz" : ""}"`;
    const headers: Record<string, string> = {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      // index.html names the bundle by a fixed name: revalidate every time (a 304 when unchanged).
      "cache-control": "no-cache",
      etag,
      vary: "accept-encoding",
      ...SECURITY_HEADERS,
    };
    if (req.headers["if-none-match"] === etag) return reply.code(304).headers(headers).send();
    if (gzip) {
      return reply.headers({ ...headers, "content-encoding": "gzip" }).send(readFileSync(gz));
    }
    return reply.headers(headers).send(readFileSync(file));
  });
}

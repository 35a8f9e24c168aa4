import { readdirSync, readFileSync, statSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { consoleUrl, ensureConsoleBuilt, openBrowser } from "../test/harness/browser.js";
import { startServer } from "../test/harness/index.js";
import { repoRoot } from "../test/harness/paths.js";
import { machine, writeSection } from "./results.js";

const DIST = join(repoRoot, "packages/console/dist");
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

/** The console's files (without the .gz copies), raw and gzipped. */
function bundleSizes(): { file: string; raw: number; gzip: number }[] {
  const list = (dir: string): string[] =>
    readdirSync(join(DIST, dir)).flatMap((f) => (statSync(join(DIST, dir, f)).isDirectory() ? list(join(dir, f)) : [join(dir, f)]));
  return list(".")
    .filter((f) => /\.(js|css|html)$/.test(f))
    .map((file) => {
      const data = readFileSync(join(DIST, file));
      return { file, raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
    })
    .sort((a, b) => b.raw - a.raw);
}

/**
 * `npm run bench -- console`: the console's bundle sizes and its first page load from a cold server
 * (a fresh server process and a fresh browser profile each run), in Debian's chromium.
 */
export async function benchConsole(opts: { runs?: number; record?: boolean } = {}): Promise<void> {
  ensureConsoleBuilt();
  const sizes = bundleSizes();
  // build.mjs writes what each page needs: the sign-in page's files and the app's entry files.
  const manifest = JSON.parse(readFileSync(join(DIST, "manifest.json"), "utf8")) as { signIn: string[]; app: string[] };
  const firstPage = sizes.filter((s) => manifest.signIn.includes(s.file));
  const appEntry = sizes.filter((s) => manifest.app.includes(s.file));
  const loads: number[] = [];
  const shown: number[] = [];
  const loadAverages: number[] = [];
  for (let i = 0; i < (opts.runs ?? 3); i++) {
    const server = await startServer();
    const browser = await openBrowser();
    try {
      const page = await browser.newPage();
      loadAverages.push(loadavg()[0]);
      const started = Date.now();
      await page.goto(consoleUrl(server));
      await page.getByLabel("Access key ID").waitFor();
      loads.push(Date.now() - started);
      // The browser's own clock from navigation start: the form's first paint (it is the page's first content).
      await page.waitForFunction(() => performance.getEntriesByName("first-contentful-paint").length > 0);
      shown.push(await page.evaluate(() => Math.round(performance.getEntriesByName("first-contentful-paint")[0].startTime)));
    } finally {
      await browser.close();
      await server.destroy();
    }
  }
  const total = sizes.reduce((n, s) => ({ raw: n.raw + s.raw, gzip: n.gzip + s.gzip }), { raw: 0, gzip: 0 });
  const rows = sizes.map((s) => `| ${s.file} | ${kib(s.raw)} | ${kib(s.gzip)} |`).join("\n");
  const md = `## Web console

Machine: ${machine()}. Run: ${new Date().toISOString()}. Built by \`node packages/console/build.mjs\` (esbuild, minified; the
pages and the SDK are chunks loaded after sign-in; the server sends the .gz copies to browsers that take gzip).

| file | raw | gzip |
| --- | ---: | ---: |
${rows}
| **all** | **${kib(total.raw)}** | **${kib(total.gzip)}** |

The sign-in page needs ${firstPage.map((s) => s.file).join(", ")}: ${kib(firstPage.reduce((n, s) => n + s.gzip, 0))} gzipped
(plain DOM and its own stylesheet; no React, Cloudscape or SDK). After sign-in (preloaded once the page has loaded): the app,
${appEntry.length} files, ${kib(appEntry.reduce((n, s) => n + s.gzip, 0))} gzipped (its stylesheet, its entry and the chunks the entry imports: React, Cloudscape, the SDK client),
then one small chunk per page as it is opened.

First page load from a cold server (a new server process and a new chromium profile each run), target < 1 s:
sign-in form painted ${shown.map((ms) => `${ms} ms`).join(", ")} after navigation by the browser's clock (first contentful paint);
${loads.map((ms) => `${ms} ms`).join(", ")} as the test driver saw it (page.goto to the form found, with the driver's own round trips)
(1-minute load average at the start of each run: ${loadAverages.map((l) => l.toFixed(1)).join(", ")} on ${cpus().length} cores).
`;
  process.stdout.write(`${md}\n`);
  if (opts.record !== false) writeSection("console", md);
}

#!/usr/bin/env node
// Builds the console: src/main.tsx -> dist/console.js + dist/console.css (+ fonts), and dist/index.html.
// Run by the root `prepare` script (so `npm install` makes the console available) or by hand:
//   node packages/console/build.mjs [--dev]   (--dev: not minified, with a source map)
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "dist");
const dev = process.argv.includes("--dev");
const protocolSources = join(here, "..", "protocol", "src");
const shims = join(here, "src", "shims");

/**
 * @openssm/protocol's session code runs in the browser too (the terminal). Its modules use Node's
 * Buffer and node:crypto (sha256, randomUUID); here they get the small browser versions in src/shims/.
 */
const protocolInBrowser = {
  name: "protocol-in-browser",
  setup(b) {
    b.onResolve({ filter: /^node:crypto$/ }, () => ({ path: join(shims, "node-crypto.ts") }));
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (!args.path.startsWith(protocolSources)) return undefined;
      const text = readFileSync(args.path, "utf8");
      return { contents: `import { Buffer } from ${JSON.stringify(join(shims, "buffer.ts"))};\n${text}`, loader: "ts" };
    });
  },
};

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const started = Date.now();
await build({
  entryPoints: { console: join(here, "src", "main.tsx") },
  outdir: out,
  bundle: true,
  // The sign-in page is one small chunk; the pages and the SDK come in chunks loaded after sign-in.
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "browser",
  target: ["chrome110", "firefox115", "safari16"],
  minify: !dev,
  sourcemap: dev,
  legalComments: "none",
  jsx: "automatic",
  loader: { ".woff": "file", ".woff2": "file", ".svg": "file", ".png": "file" },
  assetNames: "assets/[name]-[hash]",
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
  plugins: [protocolInBrowser],
  logLevel: "warning",
});
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));
// console.css already holds the styles of every chunk (esbuild puts all the CSS an entry reaches in
// its CSS file); the per-chunk copies would never be loaded.
const chunkDir = join(out, "chunks");
if (existsSync(chunkDir)) for (const f of readdirSync(chunkDir)) if (f.endsWith(".css")) rmSync(join(chunkDir, f));

const size = (f) => {
  const data = readFileSync(join(out, f));
  return { raw: statSync(join(out, f)).size, gzip: gzipSync(data, { level: 9 }).length };
};
// Served gzipped to browsers that take it (packages/server/src/http/console-static.ts).
const files = (dir) => readdirSync(join(out, dir)).map((f) => join(dir, f));
const assets = [...files("."), ...(existsSync(join(out, "chunks")) ? files("chunks") : [])].filter((f) => /\.(js|css)$/.test(f));
for (const f of assets) writeFileSync(join(out, `${f}.gz`), gzipSync(readFileSync(join(out, f)), { level: 9 }));
const total = assets.reduce((sum, f) => ({ raw: sum.raw + size(f).raw, gzip: sum.gzip + size(f).gzip }), { raw: 0, gzip: 0 });
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
const js = size("console.js");
const css = size("console.css");
process.stdout.write(
  `console: built ${out} in ${Date.now() - started} ms: first page console.js ${kb(js.raw)} (gzip ${kb(js.gzip)}) + console.css ${kb(css.raw)} (gzip ${kb(css.gzip)}); all ${assets.length} files ${kb(total.raw)} (gzip ${kb(total.gzip)})\n`,
);

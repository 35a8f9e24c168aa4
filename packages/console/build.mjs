#!/usr/bin/env node
// Builds the console into dist/: the sign-in page (index.html with its stylesheet inlined, console-<hash>.js) and
// the signed-in app (app-<hash>.js + app-<hash>.css, chunks/, assets/ for fonts).
// Run by the root `prepare` script (so `npm install` makes the console available) or by hand:
//   node packages/console/build.mjs [--dev]   (--dev: not minified, with a source map)
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, transform } from "esbuild";

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
const common = {
  outdir: out,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: ["chrome110", "firefox115", "safari16"],
  minify: !dev,
  sourcemap: dev,
  legalComments: "none",
  // Every file but index.html has its content's hash in its name, so the server lets browsers keep it.
  entryNames: "[name]-[hash]",
  assetNames: "assets/[name]-[hash]",
  metafile: true,
  logLevel: "warning",
};

// 1. The signed-in console (`app`): React, Cloudscape and its CSS, the pages (in chunks), the SDK.
const appBuild = await build({
  ...common,
  entryPoints: { app: join(here, "src", "app", "boot.tsx") },
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  jsx: "automatic",
  loader: { ".woff": "file", ".woff2": "file", ".svg": "file", ".png": "file" },
  define: { "process.env.NODE_ENV": JSON.stringify(dev ? "development" : "production") },
  plugins: [protocolInBrowser],
});
const appOutputs = Object.entries(appBuild.metafile.outputs);
const [appJs, appEntry] = appOutputs.find(([, o]) => o.entryPoint?.endsWith("boot.tsx")) ?? [];
if (!appJs || !appEntry?.cssBundle) throw new Error("console build: the app bundle or its stylesheet is missing from esbuild's metafile");
const rel = (f) => relative(out, join(process.cwd(), f)).split(sep).join("/");
const app = { js: rel(appJs), css: rel(appEntry.cssBundle) };
// Everything the app's entry imports statically (React, Cloudscape, the SDK client...): what signing in
// downloads before the first page chunk.
const appClosure = new Set([appJs]);
for (const f of appClosure) for (const i of appBuild.metafile.outputs[f]?.imports ?? []) if (i.kind === "import-statement") appClosure.add(i.path);
const appFiles = [app.css, ...[...appClosure].map(rel)];

// 2. The first page: index.html holds the sign-in form and, inlined, its small stylesheet (painted
// with nothing else), and `console` is the script that makes the form work: a few KiB, no React,
// no Cloudscape, no SDK. It knows the app's file names, to preload it once the page has loaded.
const firstBuild = await build({
  ...common,
  entryPoints: { console: join(here, "src", "signin", "main.ts") },
  define: { __OPENSSM_APP__: JSON.stringify({ ...app, chunks: appFiles.filter((f) => f.startsWith("chunks/")) }) },
});
const consoleJs = Object.keys(firstBuild.metafile.outputs)
  .map(rel)
  .find((f) => /^console-.*\.js$/.test(f));
if (!consoleJs) throw new Error("console build: the sign-in page's script is missing from esbuild's metafile");
const signinCss = (await transform(readFileSync(join(here, "src", "signin", "signin.css"), "utf8"), { loader: "css", minify: !dev })).code.trim();
if (signinCss.includes("</")) throw new Error("console build: signin.css may not contain '</' (it is inlined in a <style> element)");
const html = readFileSync(join(here, "src", "index.html"), "utf8")
  .replace("{{SIGNIN_CSS}}", signinCss)
  .replace("{{CONSOLE_JS}}", consoleJs);
writeFileSync(join(out, "index.html"), html);
// What each page needs, for the bench (bench/console.ts) and the curious.
writeFileSync(join(out, "manifest.json"), `${JSON.stringify({ signIn: ["index.html", consoleJs], app: appFiles }, null, 2)}\n`);
// The app's CSS file already holds the styles of every chunk (esbuild puts all the CSS an entry
// reaches in its CSS file); the per-chunk copies would never be loaded.
const chunkDir = join(out, "chunks");
if (existsSync(chunkDir)) for (const f of readdirSync(chunkDir)) if (f.endsWith(".css")) rmSync(join(chunkDir, f));

const size = (f) => {
  const data = readFileSync(join(out, f));
  return { raw: statSync(join(out, f)).size, gzip: gzipSync(data, { level: 9 }).length };
};
// Served gzipped to browsers that take it (packages/server/src/http/console-static.ts).
const files = (dir) => readdirSync(join(out, dir)).map((f) => join(dir, f));
const assets = [...files("."), ...(existsSync(join(out, "chunks")) ? files("chunks") : [])].filter((f) => /\.(js|css|html)$/.test(f));
for (const f of assets) writeFileSync(join(out, `${f}.gz`), gzipSync(readFileSync(join(out, f)), { level: 9 }));
const total = assets.map(size).reduce((sum, s) => ({ raw: sum.raw + s.raw, gzip: sum.gzip + s.gzip }), { raw: 0, gzip: 0 });
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
const first = ["index.html", consoleJs].map(size).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }));
const appSize = appFiles.map(size).reduce((a, b) => ({ raw: a.raw + b.raw, gzip: a.gzip + b.gzip }));
process.stdout.write(
  `console: built ${out} in ${Date.now() - started} ms: sign-in page index.html + ${consoleJs} ${kb(first.raw)} (gzip ${kb(first.gzip)}); app ${app.js} + ${app.css} + ${appFiles.length - 2} chunks ${kb(appSize.raw)} (gzip ${kb(appSize.gzip)}); all ${assets.length} files ${kb(total.raw)} (gzip ${kb(total.gzip)})\n`,
);

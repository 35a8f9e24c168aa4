#!/usr/bin/env node
// Starts openssm-agent from a checkout. The TypeScript is bundled once (and again whenever a
// source file changes) into dist/ with esbuild, which tsx brings along, so the service runs plain
// JavaScript in a single process with no TypeScript loader thread (about 25 MB less memory). If
// dist/ cannot be written, or OPENSSM_AGENT_TSX=1, the sources run through tsx's loader instead.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const bundle = join(root, "dist", "openssm-agent.mjs");
const require = createRequire(import.meta.url);

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith(".ts") ? statSync(p).mtimeMs : 0);
  }
  return t;
}

function sourceDirs() {
  const dirs = [join(root, "src")];
  try {
    dirs.push(dirname(require.resolve("@openssm/protocol")));
  } catch {
    // not a workspace checkout
  }
  return dirs;
}

function esbuild() {
  try {
    return require("esbuild");
  } catch {
    return createRequire(require.resolve("tsx/esm/api"))("esbuild");
  }
}

function build() {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@openssm/"));
  mkdirSync(dirname(bundle), { recursive: true });
  const tmp = `${bundle}.${process.pid}.tmp`;
  esbuild().buildSync({
    entryPoints: [join(root, "src", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: tmp,
    external,
    logLevel: "error",
    banner: { js: "// Built by bin/openssm-agent.js from src/; do not edit." },
  });
  renameSync(tmp, bundle);
}

let entry = bundle;
if (process.env.OPENSSM_AGENT_TSX === "1") entry = undefined;
else {
  try {
    const stale = !existsSync(bundle) || statSync(bundle).mtimeMs < Math.max(...sourceDirs().map(newest));
    if (stale) build();
  } catch {
    entry = existsSync(bundle) ? bundle : undefined;
  }
}
if (entry) await import(pathToFileURL(entry).href);
else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}

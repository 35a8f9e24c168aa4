#!/usr/bin/env node
// Bundles the agent (src/ and @openssm/protocol) into dist/openssm-agent.mjs with esbuild (which tsx
// brings along): one file of plain JavaScript that the service runs with no TypeScript loader. Run at
// install (the checkout's `npm install` / `npm ci` run it as `prepare`) and by install.sh.
import { mkdirSync, readFileSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE = join(root, "dist", "openssm-agent.mjs");
const require = createRequire(import.meta.url);

/** esbuild, as tsx (a dependency of this package) has it. */
const esbuild = () => createRequire(require.resolve("tsx/esm/api"))("esbuild");

export function buildAgentBundle() {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const external = Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith("@openssm/"));
  mkdirSync(dirname(BUNDLE), { recursive: true });
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  esbuild().buildSync({
    entryPoints: [join(root, "src", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: tmp,
    external,
    logLevel: "error",
    banner: { js: "// Built by packages/agent/scripts/build.mjs from src/; do not edit." },
  });
  renameSync(tmp, BUNDLE);
  return BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`openssm-agent: built ${buildAgentBundle()}\n`);
}

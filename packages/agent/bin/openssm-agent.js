#!/usr/bin/env node
// Starts openssm-agent. The service runs dist/openssm-agent.cjs, the bundle that `npm install` (or
// install.sh) builds with scripts/build.mjs: plain JavaScript in a single process, no TypeScript
// loader thread (about 25 MB less memory). Nothing is built here: when there is no bundle, or a
// source file is newer than it (a checkout being edited), or OPENSSM_AGENT_TSX=1, the sources run
// through tsx's loader instead (`npm run build:agent` makes the bundle again).
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const bundle = join(root, "dist", "openssm-agent.cjs");
const require = createRequire(import.meta.url);

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : e.name.endsWith(".ts") ? statSync(p).mtimeMs : 0);
  }
  return t;
}

/** The bundle, unless the sources it was built from changed since (only a checkout has them). */
function freshBundle() {
  if (process.env.OPENSSM_AGENT_TSX === "1" || !existsSync(bundle)) return false;
  const built = statSync(bundle).mtimeMs;
  const dirs = [join(root, "src")];
  try {
    dirs.push(dirname(require.resolve("@openssm/protocol")));
  } catch {
    // installed without the workspace
  }
  return dirs.every((d) => !existsSync(d) || newest(d) <= built);
}

if (freshBundle()) await import(pathToFileURL(bundle).href);
else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/main.ts");
}

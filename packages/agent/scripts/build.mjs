#!/usr/bin/env node
// Bundles the agent (src/ and @openssm/protocol) into dist/openssm-agent.mjs with esbuild (which tsx
// brings along): one file of plain JavaScript that the service runs with no TypeScript loader. Run at
// install (the checkout's `npm install` / `npm ci` run it as `prepare`) and by install.sh.
import { mkdirSync, renameSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE = join(root, "dist", "openssm-agent.mjs");
const require = createRequire(import.meta.url);

/** esbuild, as tsx (a dependency of this package) has it. */
const esbuild = () => createRequire(require.resolve("tsx/esm/api"))("esbuild");

/**
 * Only node-pty stays outside the bundle (a native module; install.sh ships its Linux binary and
 * nothing else). commander, pino, ws and yaml are bundled, so an install needs no npm install.
 * ws's optional native helpers are left out (ws works without them).
 */
export const EXTERNAL = ["node-pty", "bufferutil", "utf-8-validate"];

export function buildAgentBundle() {
  const external = EXTERNAL;
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
    // Less source for V8 to hold (about 1 MiB less RSS); names are kept, so stack traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
    // The bundled CommonJS packages require Node's built-in modules. The installed wrapper starts the
    // agent with MALLOC_ARENA_MAX=1 (fewer glibc malloc arenas for its threads: about 3 MiB less idle
    // RSS); it is taken out of the environment here, before anything runs, so that the commands the
    // agent runs do not inherit it.
    banner: {
      js: [
        "// Built by packages/agent/scripts/build.mjs from src/; do not edit.",
        'import { createRequire as __agentRequire } from "node:module";',
        "const require = __agentRequire(import.meta.url);",
        'if (process.env.OPENSSM_AGENT_MALLOC_ARENA_MAX === "1") { delete process.env.MALLOC_ARENA_MAX; delete process.env.OPENSSM_AGENT_MALLOC_ARENA_MAX; }',
      ].join("\n"),
    },
  });
  renameSync(tmp, BUNDLE);
  return BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`openssm-agent: built ${buildAgentBundle()}\n`);
}

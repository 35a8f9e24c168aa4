#!/usr/bin/env node
// Bundles the agent (src/ and @openssm/protocol) into dist/openssm-agent.cjs with esbuild (which tsx
// brings along): one file of plain JavaScript that the service runs with no TypeScript loader. Run at
// install (the checkout's `npm install` / `npm ci` run it as `prepare`) and by install.sh.
import { mkdirSync, renameSync, rmSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const BUNDLE = join(root, "dist", "openssm-agent.cjs");
const require = createRequire(import.meta.url);

/** esbuild, as tsx (a dependency of this package) has it. */
const esbuild = () => createRequire(require.resolve("tsx/esm/api"))("esbuild");

/**
 * Only node-pty stays outside the bundle (a native module; install.sh ships its Linux binary and
 * nothing else). commander, pino, ws and yaml are bundled, so an install needs no npm install.
 * ws's optional native helpers are left out (ws works without them).
 */
export const EXTERNAL = ["node-pty", "bufferutil", "utf-8-validate"];

/**
 * Node's built-in modules that an idle agent (control channel open, nothing to run) uses. Every
 * other built-in module the bundle imports (child_process, zlib, worker_threads, fs/promises, ...)
 * is loaded at the first use of one of its exports, when work arrives: each loaded module costs
 * Node's compiled code and data (about 0.2 to 1 MiB of RSS apiece).
 */
export const IDLE_BUILTINS = new Set([
  "buffer",
  "crypto",
  "events",
  "fs",
  "http",
  "https",
  "net",
  "os",
  "path",
  "process",
  "stream",
  "string_decoder",
  "tls",
  "url",
  "util",
]);

/**
 * Resolves a lazily loaded built-in module to an object with the module's export names as getters
 * that load it at the first access. The names are read here, from the Node.js that builds the
 * bundle (install.sh builds with the Node.js the service runs).
 */
const lazyBuiltins = {
  name: "lazy-builtins",
  setup(build) {
    const names = builtinModules.filter((m) => !m.startsWith("_") && !IDLE_BUILTINS.has(m));
    const filter = new RegExp(`^(node:)?(${names.map((m) => m.replace(/[/]/g, "\\/")).join("|")})$`);
    build.onResolve({ filter }, (args) => {
      if (args.namespace === "lazy-builtin") return { path: args.path, external: true };
      return { path: args.path.replace(/^node:/, ""), namespace: "lazy-builtin" };
    });
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => {
      const keys = Object.keys(require(args.path));
      return {
        loader: "js",
        contents: [
          "let loaded;",
          `const load = () => (loaded ??= require("node:${args.path}"));`,
          "const lazy = {};",
          `for (const k of ${JSON.stringify(keys)}) Object.defineProperty(lazy, k, { enumerable: true, get: () => load()[k] });`,
          "module.exports = lazy;",
        ].join("\n"),
      };
    });
  },
};

/**
 * Packages the bundle loads from a file of their own beside it, at their first use: an idle agent
 * holds none of their source (V8 keeps a script's whole text while any of its functions lives).
 * yaml (a third of the bundle) parses YAML documents only.
 */
export const CHUNKS = { yaml: "yaml.cjs" };

const chunks = {
  name: "chunks",
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(CHUNKS).join("|")})$`);
    build.onResolve({ filter }, (args) => ({ path: `./${CHUNKS[args.path]}`, external: true }));
  },
};

const minify = { minifyWhitespace: true, minifySyntax: true };

export async function buildAgentBundle() {
  mkdirSync(dirname(BUNDLE), { recursive: true });
  for (const [name, file] of Object.entries(CHUNKS)) {
    const out = join(dirname(BUNDLE), file);
    const tmpChunk = `${out}.${process.pid}.tmp`;
    await esbuild().build({
      stdin: { contents: `module.exports = require(${JSON.stringify(name)});`, resolveDir: root, loader: "js" },
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      outfile: tmpChunk,
      logLevel: "error",
      ...minify,
      banner: { js: "// Built by packages/agent/scripts/build.mjs; do not edit." },
    });
    renameSync(tmpChunk, out);
  }
  const tmp = `${BUNDLE}.${process.pid}.tmp`;
  await esbuild().build({
    entryPoints: [join(root, "src", "main.ts")],
    bundle: true,
    platform: "node",
    // CommonJS: a Node.js that runs an ES module entry loads its ES module loader too (about 1.5 MiB).
    format: "cjs",
    target: "node20",
    outfile: tmp,
    external: EXTERNAL,
    plugins: [chunks, lazyBuiltins],
    // import() of a chunk becomes require(): import() would load Node's ES module loader as well.
    supported: { "dynamic-import": false },
    logLevel: "error",
    // Less source for V8 to hold (about 1 MiB less RSS); names are kept, so stack traces still read.
    ...minify,
    define: { "import.meta.url": "__agentModuleUrl" },
    // The installed wrapper starts the agent with MALLOC_ARENA_MAX=1 (fewer glibc malloc arenas for its
    // threads: about 3 MiB less idle RSS); it is taken out of the environment here, before anything
    // runs, so that the commands the agent runs do not inherit it.
    banner: {
      js: [
        "// Built by packages/agent/scripts/build.mjs from src/; do not edit.",
        'const __agentModuleUrl = require("node:url").pathToFileURL(__filename).href;',
        'if (process.env.OPENSSM_AGENT_MALLOC_ARENA_MAX === "1") { delete process.env.MALLOC_ARENA_MAX; delete process.env.OPENSSM_AGENT_MALLOC_ARENA_MAX; }',
      ].join("\n"),
    },
  });
  renameSync(tmp, BUNDLE);
  // the ES module bundle of earlier builds
  rmSync(join(dirname(BUNDLE), "openssm-agent.mjs"), { force: true });
  return BUNDLE;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`openssm-agent: built ${await buildAgentBundle()}\n`);
}

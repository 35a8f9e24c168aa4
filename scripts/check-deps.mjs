#!/usr/bin/env node
// The dependency check of `npm run lint`: every import of a workspace package (packages/*) names a
// package that package declares in its package.json, or a Node built-in, or a file of its own. It
// fails on
//   - a package imported but not declared (it would be missing where the package is installed alone,
//     or with --omit=dev), and
//   - a relative import that leaves the package, or a path into another workspace package
//     (`../../server/src/x.js`, `@openssm/server/src/x.js`): other packages are used through their
//     entry points (package.json "exports").
// Type-only imports (`import type`) and files under a package's test/ may also use the root's
// devDependencies. The repository's own test/, bench/ and scripts/ (which run in the checkout, with
// every workspace installed) are checked for packages that nothing declares; they may reach into a
// package's sources.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve, sep } from "node:path";

// A root given as the argument is checked instead of this repository (its tests use a fixture tree).
const root = resolve(process.argv[2] ?? new URL("..", import.meta.url).pathname);
const readJson = (file) => JSON.parse(readFileSync(file, "utf8"));
const rootPkg = readJson(join(root, "package.json"));
const declared = (pkg) => new Set(Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies }));
const rootDev = new Set(Object.keys(rootPkg.devDependencies ?? {}));
const builtins = new Set(builtinModules);

const workspaces = (rootPkg.workspaces ?? []).map((w) => {
  const dir = join(root, w);
  const pkg = readJson(join(dir, "package.json"));
  return { dir, name: pkg.name, pkg, deps: declared(pkg), exports: exportedSubpaths(pkg) };
});
const byName = new Map(workspaces.map((w) => [w.name, w]));

/** "./foo" subpaths a package exports ("." is the package itself). */
function exportedSubpaths(pkg) {
  if (!pkg.exports || typeof pkg.exports === "string") return new Set(["."]);
  const keys = Object.keys(pkg.exports);
  return new Set(keys.some((k) => k.startsWith(".")) ? keys : ["."]);
}

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

function files(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e === "node_modules" || e === "dist" || e === "fixtures" || e.startsWith(".")) continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) files(p, out);
    else if (SOURCE.test(e) && !e.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** Comments out of the way, so that an import in a comment does not count. */
function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, " ")).replace(/(^|[^:"'`\\])\/\/[^\n]*/g, "$1");
}

/** Every module specifier a file imports: { spec, typeOnly, line }. */
function importsOf(text) {
  const out = [];
  const code = stripComments(text);
  const lineOf = (index) => code.slice(0, index).split("\n").length;
  const statement = /(?:^|[;\n}])\s*(import|export)\s+(type\s+)?(?:[\w*${}\s,]*?\s+from\s+)?["']([^"']+)["']/g;
  for (let m = statement.exec(code); m; m = statement.exec(code)) {
    // `import { type A, type B } from` is type-only too when every name is.
    const braces = /\{([^}]*)\}/.exec(m[0]);
    const names = braces ? braces[1].split(",").filter((n) => n.trim()) : [];
    const defaultToo = /^\s*(import|export)\s+\w+\s*,/.test(m[0]);
    const allTypes = names.length > 0 && names.every((n) => n.trim().startsWith("type ")) && !defaultToo;
    out.push({ spec: m[3], typeOnly: Boolean(m[2]) || allTypes, line: lineOf(m.index + m[0].indexOf(m[1])) });
  }
  const dynamic = /(?:\bimport|\brequire(?:\.resolve)?)\(\s*["']([^"']+)["']\s*\)/g;
  for (let m = dynamic.exec(code); m; m = dynamic.exec(code)) out.push({ spec: m[1], typeOnly: false, line: lineOf(m.index) });
  const typeImport = /\bimport\(\s*["']([^"']+)["']\s*\)\s*[.<[]/g;
  for (let m = typeImport.exec(code); m; m = typeImport.exec(code)) {
    const found = out.find((o) => o.spec === m[1] && o.line === lineOf(m.index));
    if (found) found.typeOnly = true;
  }
  return out;
}

/** `@scope/name/sub` → ["@scope/name", "./sub"]; `name/sub` → ["name", "./sub"]. */
function splitSpecifier(spec) {
  const parts = spec.split("/");
  const n = spec.startsWith("@") ? 2 : 1;
  const rest = parts.slice(n).join("/");
  return [parts.slice(0, n).join("/"), rest ? `./${rest}` : "."];
}

const problems = [];

function checkFile(file, owner) {
  const text = readFileSync(file, "utf8");
  const where = (line) => `${relative(root, file)}:${line}`;
  const inTests = owner ? relative(owner.dir, file).split(sep)[0] === "test" : true;
  for (const { spec, typeOnly, line } of importsOf(text)) {
    if (spec.startsWith("node:") || builtins.has(spec) || builtins.has(spec.split("/")[0])) continue;
    if (spec.startsWith(".") || spec.startsWith("/")) {
      if (!owner) continue;
      const target = resolve(dirname(file), spec);
      if (target !== owner.dir && !target.startsWith(owner.dir + sep)) {
        const into = workspaces.find((w) => target === w.dir || target.startsWith(w.dir + sep));
        problems.push(
          `${where(line)}: "${spec}" reaches out of ${owner.name}${into ? ` into ${into.name}'s files: import "${into.name}" (its entry point) instead` : ""}`,
        );
      }
      continue;
    }
    const [name, subpath] = splitSpecifier(spec);
    const workspace = byName.get(name);
    if (workspace && workspace !== owner && !workspace.exports.has(subpath)) {
      problems.push(`${where(line)}: "${spec}" is a path into ${name}, which exports ${[...workspace.exports].join(", ")}: use its entry point`);
    }
    if (owner) {
      if (name === owner.name) continue;
      if (owner.deps.has(name)) continue;
      if ((typeOnly || inTests) && rootDev.has(name)) continue;
      problems.push(`${where(line)}: imports "${name}", which ${owner.name}'s package.json does not declare (dependencies)`);
    } else if (!declared(rootPkg).has(name) && !rootDev.has(name) && !byName.has(name) && !workspaces.some((w) => w.deps.has(name))) {
      problems.push(`${where(line)}: imports "${name}", which neither the root package.json nor a workspace package declares`);
    }
  }
}

for (const w of workspaces) for (const f of files(w.dir)) checkFile(f, w);
for (const dir of ["test", "bench", "scripts"]) for (const f of files(join(root, dir))) checkFile(f, undefined);

if (problems.length) {
  process.stderr.write(`check-deps: ${problems.length} problem(s):\n${problems.map((p) => `  ${p}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`check-deps: the imports of ${workspaces.length} packages, test/, bench/ and scripts/ are declared\n`);

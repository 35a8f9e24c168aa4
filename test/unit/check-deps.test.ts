import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import { repoRoot } from "../harness/paths.js";

const checkDeps = (root?: string) =>
  spawnSync(process.execPath, [join(repoRoot, "scripts/check-deps.mjs"), ...(root ? [root] : [])], { cwd: repoRoot, encoding: "utf8" });

describe("scripts/check-deps.mjs (npm run lint)", () => {
  it("finds undeclared packages and paths into another workspace package, and nothing else", () => {
    const r = checkDeps(join(repoRoot, "test/fixtures/check-deps"));
    assert.equal(r.status, 1, r.stdout + r.stderr);
    const problems = r.stderr.split("\n").filter((l) => l.startsWith("  "));
    const lines = (pattern: RegExp) => problems.filter((p) => pattern.test(p));
    assert.equal(lines(/packages\/b\/src\/index\.mts:3: "..\/..\/a\/src\/helper\.mjs" reaches out of @fixture\/b into @fixture\/a's files/).length, 1);
    assert.equal(lines(/packages\/b\/src\/index\.mts:4: "@fixture\/a\/src\/helper\.mjs" is a path into @fixture\/a/).length, 1);
    assert.equal(lines(/packages\/b\/src\/index\.mts:5: imports "pino", which @fixture\/b's package.json does not declare/).length, 1);
    // A value import of a root devDependency is not declared where the package is installed alone.
    assert.equal(lines(/packages\/b\/src\/index\.mts:6: imports "typescript"/).length, 1);
    assert.equal(lines(/packages\/b\/src\/index\.mts:8: imports "ws"/).length, 1);
    assert.equal(problems.length, 5, r.stderr);
    assert.equal(lines(/packages\/a\//).length, 0, "package a's imports are all allowed");
  });

  it("passes on this repository", () => {
    const r = checkDeps();
    assert.equal(r.status, 0, r.stderr);
  });
});

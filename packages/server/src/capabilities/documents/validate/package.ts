import { type Checker, describe, schemaVersionOf, unsupportedSchema } from "./checker.js";
import { ALL_PLATFORMS, type Platform } from "./plugins.js";
import type { ValidatedContent } from "./result.js";

/** Distributor's platform codes, and the platform type each installs on. */
const PACKAGE_PLATFORMS: Record<string, Platform> = {
  almalinux: "Linux",
  amazon: "Linux",
  centos: "Linux",
  debian: "Linux",
  opensuse: "Linux",
  opensuseleap: "Linux",
  oracle: "Linux",
  redhat: "Linux",
  rocky: "Linux",
  suse: "Linux",
  ubuntu: "Linux",
  windows: "Windows",
  darwin: "MacOS",
  macos: "MacOS",
};
const ARCHITECTURES = ["x86_64", "x86", "386", "i386", "arm64", "aarch64"];
const VERSION = /^[a-zA-Z0-9_.-]{1,128}$/;
const PLATFORM_VERSION = /^(_any|[0-9A-Za-z._-]*\*?)$/;

/** Distributor package manifests (schemaVersion 2.0): version, packages per platform / version / architecture, files with sha256. */
export function validatePackage(c: Checker, content: Record<string, any>): ValidatedContent {
  const schemaVersion = schemaVersionOf(c, content);
  if (schemaVersion !== "2.0") throw unsupportedSchema("Package", schemaVersion, ["2.0"]);
  const version = c.string(content.version, ["version"], "the package version (letters, digits, '_', '-', '.')");
  if (!VERSION.test(version)) c.fail(["version"], "may contain only letters, digits, '_', '-' and '.' (at most 128 characters).");
  c.optionalString(content.publisher, ["publisher"]);
  const files = c.object(content.files, ["files"], "an object of file names, each with checksums.sha256");
  const declared: { name: string; sha256: string }[] = [];
  for (const [name, entry] of Object.entries(files)) {
    const f = c.object(entry, ["files", name], "an object with checksums");
    const sums = c.object(f.checksums, ["files", name, "checksums"], "an object with sha256");
    const sha = c.string(sums.sha256, ["files", name, "checksums", "sha256"], "the file's sha256 (64 hex digits)");
    if (!/^[0-9a-fA-F]{64}$/.test(sha)) c.fail(["files", name, "checksums", "sha256"], `must be 64 hex digits, not ${describe(sha)}.`);
    declared.push({ name, sha256: sha.toLowerCase() });
  }
  const packages = c.object(content.packages, ["packages"], "an object of platforms");
  if (Object.keys(packages).length === 0) c.fail(["packages"], "must name at least one platform.");
  const platforms = new Set<Platform>();
  for (const [platform, versions] of Object.entries(packages)) {
    const os = PACKAGE_PLATFORMS[platform];
    if (!os) c.fail(["packages", platform], `is not a Distributor platform code; use one of ${Object.keys(PACKAGE_PLATFORMS).join(", ")}.`);
    platforms.add(os);
    for (const [platformVersion, archs] of Object.entries(
      c.object(versions, ["packages", platform], "an object of platform versions (_any, 7.*, 22.04, ...)"),
    )) {
      if (!PLATFORM_VERSION.test(platformVersion))
        c.fail(["packages", platform, platformVersion], "must be _any, a version, or a major version followed by * (such as 7.*).");
      for (const [arch, target] of Object.entries(c.object(archs, ["packages", platform, platformVersion], "an object of architectures"))) {
        const path = ["packages", platform, platformVersion, arch];
        if (!ARCHITECTURES.includes(arch)) c.fail(path, `is not an architecture Distributor knows; use one of ${ARCHITECTURES.join(", ")}.`);
        const file = c.string(c.object(target, path, "an object with file").file, [...path, "file"], "the name of a .zip file listed under files");
        if (!files[file]) c.fail([...path, "file"], `names '${file}', which the files section does not list.`);
      }
    }
  }
  return { schemaVersion, parameters: {}, platformTypes: ALL_PLATFORMS.filter((p) => platforms.has(p)), packageVersion: version, files: declared };
}

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Node arguments that run a TypeScript entry point through tsx (resolved from the repo root). */
export function tsxArgs(): string[] {
  return ["--import", "tsx"];
}

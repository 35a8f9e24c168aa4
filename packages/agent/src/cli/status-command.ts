import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { defaultDataDir, IdentityStore } from "../identity/identity-store.js";

function count(dir: string): number {
  try {
    return readdirSync(dir).filter((f) => f.endsWith(".json")).length;
  } catch {
    return 0;
  }
}

export async function statusCommand(flags: { dataDir?: string }): Promise<void> {
  const dataDir = resolve(flags.dataDir ?? defaultDataDir());
  const store = new IdentityStore(dataDir);
  if (!store.exists()) {
    process.stderr.write(`openssm-agent status: no identity in ${dataDir} (not registered)\n`);
    process.exit(1);
  }
  const { identity } = store.load();
  const out = { dataDir, ...identity, commandsKept: count(join(dataDir, "commands")), repliesPending: count(join(dataDir, "replies")) };
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

import { readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ensureDir, writeFileAtomic } from "../identity/identity-store.js";
import { type CommandRecord, compactRecord } from "./command-record.js";

/** Where commands are kept: a directory of JSON files for the agent, memory for the simulator. */
export interface CommandStore {
  get(commandId: string): CommandRecord | undefined;
  save(record: CommandRecord): void;
  running(): CommandRecord[];
  /** Forgets finished commands older than `before` (epoch ms). */
  prune(before: number): void;
}

export class MemoryCommandStore implements CommandStore {
  private readonly records = new Map<string, CommandRecord>();

  get(commandId: string): CommandRecord | undefined {
    return this.records.get(commandId);
  }

  save(record: CommandRecord): void {
    this.records.set(record.commandId, record.state === "done" ? compactRecord(record) : record);
  }

  running(): CommandRecord[] {
    return [...this.records.values()].filter((r) => r.state === "running");
  }

  prune(before: number): void {
    for (const [id, r] of this.records) if (r.state === "done" && (r.finishedAt ?? 0) < before) this.records.delete(id);
  }
}

/** One file per command under <data-dir>/commands, written atomically at every change. */
export class FileCommandStore implements CommandStore {
  private readonly cache = new Map<string, CommandRecord>();

  constructor(readonly dir: string) {
    ensureDir(dir);
    for (const f of readdirSync(dir)) {
      if (!f.endsWith(".json")) continue;
      try {
        const r = JSON.parse(readFileSync(join(dir, f), "utf8")) as CommandRecord;
        this.cache.set(r.commandId, r);
      } catch {
        rmSync(join(dir, f), { force: true });
      }
    }
  }

  private path(commandId: string): string {
    return join(this.dir, `${commandId.replace(/[^A-Za-z0-9._-]/g, "_")}.json`);
  }

  get(commandId: string): CommandRecord | undefined {
    return this.cache.get(commandId);
  }

  save(record: CommandRecord): void {
    const kept = record.state === "done" ? compactRecord(record) : record;
    this.cache.set(record.commandId, kept);
    writeFileAtomic(this.path(record.commandId), JSON.stringify(kept));
  }

  running(): CommandRecord[] {
    return [...this.cache.values()].filter((r) => r.state === "running");
  }

  prune(before: number): void {
    for (const [id, r] of this.cache) {
      if (r.state !== "done" || (r.finishedAt ?? 0) >= before) continue;
      this.cache.delete(id);
      rmSync(this.path(id), { force: true });
    }
    // orchestration leftovers are removed by the runner; stray temp files here:
    for (const f of readdirSync(this.dir)) {
      if (f.endsWith(".tmp") && statSync(join(this.dir, f)).mtimeMs < before) rmSync(join(this.dir, f), { force: true });
    }
  }
}

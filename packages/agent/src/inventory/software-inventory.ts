import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDir, writeFileAtomic } from "../identity/identity-store.js";
import type { Plugin, StepContext } from "../plugins/plugin.js";
import { applications, customInventory, type Entry, files, instanceDetails, network, services } from "./gatherers.js";

interface Item {
  TypeName: string;
  SchemaVersion: string;
  CaptureTime: string;
  ContentHash: string;
  Content?: Entry[];
}

/** What was last sent, per node, when there is no folder to keep it in (the simulator). */
const SENT_IN_MEMORY = new Map<string, Record<string, string>>();

function enabled(inputs: Record<string, unknown>, name: string): boolean {
  const v = inputs[name];
  return (Array.isArray(v) ? v[0] : v) !== "Disabled";
}

function text(inputs: Record<string, unknown>, name: string): string {
  const v = inputs[name];
  return String((Array.isArray(v) ? v[0] : v) ?? "");
}

const hashOf = (content: Entry[]) => createHash("md5").update(JSON.stringify(content)).digest("base64");

function sentHashes(ctx: StepContext): Record<string, string> {
  const dir = ctx.hooks.inventoryDir;
  if (!dir) return SENT_IN_MEMORY.get(ctx.instanceId) ?? {};
  const file = join(dir, "content-hashes.json");
  try {
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

function saveHashes(ctx: StepContext, hashes: Record<string, string>): void {
  const dir = ctx.hooks.inventoryDir;
  if (!dir) {
    SENT_IN_MEMORY.set(ctx.instanceId, hashes);
    return;
  }
  ensureDir(dir);
  writeFileAtomic(join(dir, "content-hashes.json"), JSON.stringify(hashes));
}

/** One PutInventory call's worth of items stays under the server's limit per call. */
const CALL_BYTES = 900 * 1024;

async function put(ctx: StepContext, items: Item[]): Promise<void> {
  let batch: Item[] = [];
  let size = 0;
  const flush = async () => {
    if (batch.length) await ctx.ssm("PutInventory", { InstanceId: ctx.instanceId, Items: batch });
    batch = [];
    size = 0;
  };
  for (const item of items) {
    const n = Buffer.byteLength(JSON.stringify(item));
    if (size + n > CALL_BYTES) await flush();
    batch.push(item);
    size += n;
  }
  await flush();
}

/**
 * aws:softwareInventory: gathers what the document's parameters enable (applications from dpkg and
 * rpm, network interfaces, systemd services, files by path patterns, processor and kernel details,
 * Custom: types from the custom inventory folder) and sends it with PutInventory. A type whose
 * content did not change since the last run is sent as its hash only; if the server no longer has
 * that content (ItemContentMismatchException) everything is sent again in full.
 */
export const softwareInventory: Plugin = {
  name: "aws:softwareInventory",
  supported: (p) => p !== "Windows",
  async run(ctx) {
    const inputs = (ctx.step.inputs && typeof ctx.step.inputs === "object" ? ctx.step.inputs : {}) as Record<string, unknown>;
    const capture = `${new Date().toISOString().slice(0, 19)}Z`;
    const types: { typeName: string; schemaVersion: string; content: Entry[] }[] = [];
    try {
      if (enabled(inputs, "applications")) types.push({ typeName: "AWS:Application", schemaVersion: "1.1", content: await applications() });
      if (enabled(inputs, "networkConfig")) types.push({ typeName: "AWS:Network", schemaVersion: "1.0", content: await network() });
      if (enabled(inputs, "services")) types.push({ typeName: "AWS:Service", schemaVersion: "1.0", content: await services() });
      if (enabled(inputs, "instanceDetailedInformation"))
        types.push({ typeName: "AWS:InstanceDetailedInformation", schemaVersion: "1.0", content: instanceDetails() });
      const fileSpec = text(inputs, "files");
      if (fileSpec.trim()) types.push({ typeName: "AWS:File", schemaVersion: "1.0", content: files(fileSpec) });
      if (enabled(inputs, "customInventory")) types.push(...customInventory(ctx.hooks.customInventoryDir));
    } catch (e) {
      return { status: "Failed", code: 1, error: `gathering inventory failed: ${(e as Error).message}` };
    }
    const previous = sentHashes(ctx);
    const full: Item[] = types.map((t) => ({
      TypeName: t.typeName,
      SchemaVersion: t.schemaVersion,
      CaptureTime: capture,
      ContentHash: hashOf(t.content),
      Content: t.content,
    }));
    const optimized = full.map((i) => (previous[i.TypeName] === i.ContentHash ? { ...i, Content: undefined } : i));
    try {
      await put(ctx, optimized);
    } catch (e) {
      const name = (e as { code?: string }).code;
      if (name !== "ItemContentMismatchException" && name !== "InvalidItemContentException") {
        return { status: "Failed", code: 1, error: `inventory data could not be uploaded: ${(e as Error).message}` };
      }
      try {
        await put(ctx, full);
      } catch (e2) {
        return { status: "Failed", code: 1, error: `inventory data could not be uploaded: ${(e2 as Error).message}` };
      }
    }
    saveHashes(ctx, Object.fromEntries(full.map((i) => [i.TypeName, i.ContentHash])));
    const counts = full.map((i) => `${i.TypeName}: ${i.Content?.length ?? 0}`).join(", ");
    ctx.stdout.feed(`Inventory sent (${counts}).`);
    return { status: "Success", code: 0 };
  },
};

import type { AnyDb } from "../../storage/database.js";
import { assembleOutput, MAX_PIECE_LENGTH, MAX_STREAM_LENGTH } from "./output-pieces.js";
import { commandDb } from "./tables.js";

export type OutputStream = "stdout" | "stderr";

export interface OutputKey {
  commandId: string;
  instanceId: string;
  plugin: string;
}

/**
 * Keeps output as it comes. With `offset` (the openssm streaming extension) the text is the piece
 * that starts there; without it (AWS's agent) it is the whole text known so far, kept when longer
 * than what is stored. Repeats and reordering are harmless.
 */
export async function storeOutput(db: AnyDb, key: OutputKey, stream: OutputStream, text: string, offset?: number): Promise<void> {
  if (!text) return;
  const position = offset ?? 0;
  if (!Number.isInteger(position) || position < 0 || position > MAX_STREAM_LENGTH) return;
  if (offset !== undefined && text.length > MAX_PIECE_LENGTH) return;
  const d = commandDb(db);
  const where = d
    .selectFrom("commands_output")
    .select("text")
    .where("command_id", "=", key.commandId)
    .where("instance_id", "=", key.instanceId)
    .where("plugin", "=", key.plugin)
    .where("stream", "=", stream)
    .where("position", "=", position);
  const existing = await where.executeTakeFirst();
  if (existing && existing.text.length >= text.length) return;
  if (existing) {
    await d
      .updateTable("commands_output")
      .set({ text })
      .where("command_id", "=", key.commandId)
      .where("instance_id", "=", key.instanceId)
      .where("plugin", "=", key.plugin)
      .where("stream", "=", stream)
      .where("position", "=", position)
      .execute();
    return;
  }
  await d
    .insertInto("commands_output")
    .values({ command_id: key.commandId, instance_id: key.instanceId, plugin: key.plugin, stream, position, text })
    .onConflict((oc) => oc.columns(["command_id", "instance_id", "plugin", "stream", "position"]).doNothing())
    .execute();
}

/** The stored text of one stream, up to `limit` characters (all of it by default). */
export async function readOutput(db: AnyDb, key: OutputKey, stream: OutputStream, limit?: number): Promise<string> {
  let q = commandDb(db)
    .selectFrom("commands_output")
    .select(["position", "text"])
    .where("command_id", "=", key.commandId)
    .where("instance_id", "=", key.instanceId)
    .where("plugin", "=", key.plugin)
    .where("stream", "=", stream);
  if (limit !== undefined) q = q.where("position", "<", limit);
  const rows = await q.orderBy("position").execute();
  return assembleOutput(
    rows.map((r) => ({ position: Number(r.position), text: r.text })),
    limit,
  );
}

import { compiledOnce } from "../../storage/compiled-once.js";
import { newDataKey, openDataKey, seal, unseal } from "../../crypto/seal.js";
import type { Services } from "../../runtime.js";
import { assembleOutput, MAX_PIECE_LENGTH, MAX_STREAM_LENGTH, type OutputPiece } from "./output-pieces.js";
import { commandDb, type InvocationRow } from "./tables.js";

/**
 * Command output at rest: commands print secrets, so stdout, stderr and the step summaries are kept
 * only as AES-256-GCM ciphertext, the way session recordings are: each invocation has a data key,
 * sealed under the master key and made with its first output, and each piece of output is sealed
 * under that key, bound to where it belongs (command, node, step, stream, offset).
 */
export type OutputStream = "stdout" | "stderr";

export interface OutputKey {
  commandId: string;
  instanceId: string;
  plugin: string;
}

const keyAad = (commandId: string, instanceId: string) => `command-output:${commandId}/${instanceId}`;
const pieceAad = (key: OutputKey, stream: OutputStream, position: number) =>
  `command-output:${key.commandId}/${key.instanceId}/${key.plugin}/${stream}/${position}`;
const summaryAad = (commandId: string, instanceId: string, plugin: string) => `command-output-summary:${commandId}/${instanceId}/${plugin}`;

const selectOutputKey = compiledOnce<[string, string], Pick<InvocationRow, "command_id" | "instance_id" | "output_key">>((db, commandId, instanceId) =>
  commandDb(db)
    .selectFrom("commands_invocations")
    .select(["command_id", "instance_id", "output_key"])
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId),
);

const setOutputKey = compiledOnce<[Buffer, string, string], never>((db, sealed, commandId, instanceId) =>
  commandDb(db)
    .updateTable("commands_invocations")
    .set({ output_key: sealed })
    .where("command_id", "=", commandId)
    .where("instance_id", "=", instanceId)
    .where("output_key", "is", null),
);

/** The invocation's output key, opened; undefined while it has none (no output yet). */
export function openOutputKey(services: Services, inv: Pick<InvocationRow, "command_id" | "instance_id" | "output_key">): Buffer | undefined {
  return inv.output_key ? openDataKey(services.masterKey, inv.output_key, keyAad(inv.command_id, inv.instance_id)) : undefined;
}

/**
 * The invocation's output key, made (once, whichever replica comes first) when it has none; undefined
 * for an unknown invocation. `known` is the invocation as the caller last read it (no read when it
 * has its key already).
 */
export async function outputKeyFor(
  services: Services,
  commandId: string,
  instanceId: string,
  known?: Pick<InvocationRow, "output_key">,
): Promise<Buffer | undefined> {
  const row = async () => (await selectOutputKey(services.db, commandId, instanceId)).rows[0];
  const inv = known ? { command_id: commandId, instance_id: instanceId, output_key: known.output_key } : await row();
  if (!inv) return undefined;
  if (inv.output_key) return openOutputKey(services, inv);
  const sealed = newDataKey(services.masterKey, keyAad(commandId, instanceId));
  const r = await setOutputKey(services.db, sealed, commandId, instanceId);
  if (Number(r.numAffectedRows) === 1) return openOutputKey(services, { command_id: commandId, instance_id: instanceId, output_key: sealed });
  // Someone else made it first (or the invocation is gone).
  const made = await row();
  return made ? openOutputKey(services, made) : undefined;
}

/** A step's summary (CommandPlugin.Output), sealed for storage. */
export function sealSummary(key: Buffer, commandId: string, instanceId: string, plugin: string, summary: string): Buffer {
  return seal(key, Buffer.from(summary, "utf8"), summaryAad(commandId, instanceId, plugin));
}

/** A step's summary as stored: sealed, or (stored before output was sealed) plaintext not yet sealed by the job. */
export function openSummary(
  key: Buffer | undefined,
  commandId: string,
  instanceId: string,
  plugin: { name: string; output: string; output_sealed: Buffer | null },
): string {
  if (!plugin.output_sealed || !key) return plugin.output;
  return unseal(key, Buffer.from(plugin.output_sealed), summaryAad(commandId, instanceId, plugin.name)).toString("utf8");
}

/**
 * Keeps output as it comes. With `offset` (the openssm streaming extension) the text is the piece
 * that starts there; without it (AWS's agent) it is the whole text known so far, kept when longer
 * than what is stored. Repeats and reordering are harmless.
 */
export async function storeOutput(
  services: Services,
  key: OutputKey,
  stream: OutputStream,
  text: string,
  offset?: number,
  keyOf: () => Promise<Buffer | undefined> = () => outputKeyFor(services, key.commandId, key.instanceId),
): Promise<void> {
  if (!text) return;
  const position = offset ?? 0;
  if (!Number.isInteger(position) || position < 0 || position > MAX_STREAM_LENGTH) return;
  if (offset !== undefined && text.length > MAX_PIECE_LENGTH) return;
  const dataKey = await keyOf();
  if (!dataKey) return;
  await storePiece(services, key, stream, position, text, dataKey);
}

/** Stores a sealed piece unless one at least as long is there. */
async function storePiece(services: Services, key: OutputKey, stream: OutputStream, position: number, text: string, dataKey: Buffer): Promise<void> {
  const data = seal(dataKey, Buffer.from(text, "utf8"), pieceAad(key, stream, position));
  await upsertPiece(services.db, key.commandId, key.instanceId, key.plugin, stream, position, text.length, data);
}

const upsertPiece = compiledOnce<[string, string, string, OutputStream, number, number, Buffer], never>(
  (db, commandId, instanceId, plugin, stream, position, length, data) =>
    commandDb(db)
      .insertInto("commands_output_sealed")
      .values({ command_id: commandId, instance_id: instanceId, plugin, stream, position, length, data })
      .onConflict((oc) =>
        oc
          .columns(["command_id", "instance_id", "plugin", "stream", "position"])
          .doUpdateSet((eb) => ({ length: eb.ref("excluded.length"), data: eb.ref("excluded.data") }))
          .where(({ eb, ref }) => eb("commands_output_sealed.length", "<", ref("excluded.length"))),
      ),
);

/** The stored text of one stream, up to `limit` characters (all of it by default). */
export async function readOutput(services: Services, key: OutputKey, stream: OutputStream, limit?: number): Promise<string> {
  const d = commandDb(services.db);
  let sealed = d
    .selectFrom("commands_output_sealed")
    .select(["position", "data"])
    .where("command_id", "=", key.commandId)
    .where("instance_id", "=", key.instanceId)
    .where("plugin", "=", key.plugin)
    .where("stream", "=", stream);
  let legacy = d
    .selectFrom("commands_output")
    .select(["position", "text"])
    .where("command_id", "=", key.commandId)
    .where("instance_id", "=", key.instanceId)
    .where("plugin", "=", key.plugin)
    .where("stream", "=", stream);
  if (limit !== undefined) {
    sealed = sealed.where("position", "<", limit);
    legacy = legacy.where("position", "<", limit);
  }
  const pieces: OutputPiece[] = (await legacy.execute()).map((r) => ({ position: Number(r.position), text: r.text }));
  const rows = await sealed.execute();
  if (rows.length > 0) {
    const inv = await d
      .selectFrom("commands_invocations")
      .select(["command_id", "instance_id", "output_key"])
      .where("command_id", "=", key.commandId)
      .where("instance_id", "=", key.instanceId)
      .executeTakeFirst();
    const dataKey = inv ? openOutputKey(services, inv) : undefined;
    if (dataKey) {
      for (const r of rows) {
        const position = Number(r.position);
        pieces.push({ position, text: unseal(dataKey, Buffer.from(r.data), pieceAad(key, stream, position)).toString("utf8") });
      }
    }
  }
  return assembleOutput(pieces, limit);
}

/** How many plaintext rows (from before output was sealed) one pass of the job seals. */
const SEAL_BATCH = 200;

/**
 * Seals output stored in plaintext before output was sealed, a batch at a time; true when there
 * was nothing left to seal.
 */
export async function sealStoredPlaintext(services: Services): Promise<boolean> {
  const d = commandDb(services.db);
  const pieces = await d.selectFrom("commands_output").selectAll().limit(SEAL_BATCH).execute();
  for (const p of pieces) {
    const key = { commandId: p.command_id, instanceId: p.instance_id, plugin: p.plugin };
    const dataKey = await outputKeyFor(services, p.command_id, p.instance_id);
    const position = Number(p.position);
    if (dataKey) await storePiece(services, key, p.stream as OutputStream, position, p.text, dataKey);
    await d
      .deleteFrom("commands_output")
      .where("command_id", "=", p.command_id)
      .where("instance_id", "=", p.instance_id)
      .where("plugin", "=", p.plugin)
      .where("stream", "=", p.stream)
      .where("position", "=", p.position)
      .execute();
  }
  const summaries = await d
    .selectFrom("commands_plugins")
    .select(["command_id", "instance_id", "name", "output"])
    .where("output", "<>", "")
    .where("output_sealed", "is", null)
    .limit(SEAL_BATCH)
    .execute();
  for (const p of summaries) {
    const dataKey = await outputKeyFor(services, p.command_id, p.instance_id);
    const set = dataKey ? { output: "", output_sealed: sealSummary(dataKey, p.command_id, p.instance_id, p.name, p.output) } : { output: "" };
    await d
      .updateTable("commands_plugins")
      .set(set)
      .where("command_id", "=", p.command_id)
      .where("instance_id", "=", p.instance_id)
      .where("name", "=", p.name)
      .where("output_sealed", "is", null)
      .execute();
  }
  return pieces.length === 0 && summaries.length === 0;
}

import type { InventoryItem, PutInventoryRequest, PutInventoryResult } from "@aws-sdk/client-ssm";
import { nodeIdOf } from "../../agents/index.js";
import { ApiError } from "../../errors.js";
import { op, type RequestContext } from "../../runtime.js";
import { nodeArn, nodeTags, registeredNodeFacts } from "../nodes/index.js";
import { offThread } from "../../http/body-threads.js";
import { type PreparedContent, type PreparedItem, preparePutInventory } from "./content.js";
import { awsType, LIMITS, type TypeSchema } from "./schemas.js";
import { getCustomSchema, getItem, hashesOf, listCustomSchemas, type NewItem, putCustomSchema, replaceItem, touchItem } from "./store.js";
import { keyValues } from "./tables.js";
import { type CustomAttribute, customSchema, customSchemaOf } from "./types.js";

/** The node whose inventory it is: the caller itself when a node calls, and registered in this account and region. */
async function targetNode(ctx: RequestContext, instanceId: string): Promise<void> {
  const caller = nodeIdOf(ctx.principal);
  if (caller && caller !== instanceId) {
    throw new ApiError("AccessDeniedException", `Managed node ${caller} may only put its own inventory, not that of ${instanceId}.`);
  }
  const [node] = await registeredNodeFacts(ctx.services.db, ctx, [instanceId]);
  if (!node) throw new ApiError("InvalidInstanceId", `${instanceId} is not a registered managed node of this account in ${ctx.region}.`);
}

const versionNumber = (v: string) => v.split(".").map(Number) as [number, number];
const versionAtMost = (a: string, b: string) => {
  const [a1, a2] = versionNumber(a);
  const [b1, b2] = versionNumber(b);
  return a1 < b1 || (a1 === b1 && a2 <= b2);
};

/** Data types of a Custom: type's attributes, from the names its entries use (numbers stay "string": the agent sends text). */
function inferAttributes(names: string[]): CustomAttribute[] {
  return names.map((Name) => ({ Name, DataType: "string" as const }));
}

interface Checked {
  item: InventoryItem;
  schema?: TypeSchema;
  /** A Custom: type seen for the first time (or at a new version): its schema to record. */
  newCustom?: { version: string; attributes: CustomAttribute[] };
  hash: string;
  /** The Content, ready to store. */
  content?: PreparedContent;
  /** No Content: the caller says the data is unchanged (its hash). */
  hashOnly: boolean;
}

/** Checks every item before anything is written (nothing bad input sends is stored half-written). */
async function checkItems(ctx: RequestContext, instanceId: string, items: InventoryItem[]): Promise<Checked[]> {
  const seen = new Set<string>();
  let total = 0;
  const customs = await listCustomSchemas(ctx.services.db, ctx);
  let customCount = customs.length;
  const out: Checked[] = [];
  for (const item of items) {
    const typeName = String(item.TypeName);
    if (seen.has(typeName))
      throw new ApiError("InvalidItemContentException", `${typeName} appears twice in Items; send each type once.`, 400, { TypeName: typeName });
    seen.add(typeName);
    // Every item with Content arrives prepared (preparePutInventory, applied by the dispatcher).
    const content = (item as PreparedItem).Prepared;
    const entries = item.Content as Record<string, string>[] | null | undefined;
    const size = content?.bytes ?? 0;
    if (size > LIMITS.itemBytes) {
      throw new ApiError(
        "ItemSizeLimitExceededException",
        `The content of ${typeName} is ${size} bytes; an inventory item may hold at most ${LIMITS.itemBytes} bytes.`,
        400,
        { TypeName: typeName },
      );
    }
    total += size;
    if (total > LIMITS.totalBytes) {
      throw new ApiError(
        "TotalSizeLimitExceededException",
        `The items of this call hold more than ${LIMITS.totalBytes} bytes of content; send them in several calls.`,
      );
    }
    const version = String(item.SchemaVersion);
    let schema: TypeSchema | undefined = awsType(typeName);
    let newCustom: Checked["newCustom"];
    if (typeName.startsWith("AWS:")) {
      if (!schema) {
        throw new ApiError(
          "InvalidTypeNameException",
          `${typeName} is not an inventory type AWS defines; use one of the AWS: types (GetInventorySchema lists them) or a Custom: type.`,
          400,
        );
      }
      if (!schema.accepts.includes(version)) {
        throw new ApiError(
          "UnsupportedInventorySchemaVersionException",
          `${typeName} has no schema version ${version}; openssm accepts ${schema.accepts.join(", ")}.`,
        );
      }
      const allowed = new Set(schema.attributes.map((a) => a.name));
      const unknown = content?.attributes.find((k) => !allowed.has(k));
      if (unknown !== undefined) {
        throw new ApiError("InvalidItemContentException", `${typeName} has no attribute ${unknown}; its attributes: ${[...allowed].join(", ")}.`, 400, {
          TypeName: typeName,
        });
      }
    } else {
      const row = customs.find((c) => c.type_name === typeName) ?? (await getCustomSchema(ctx.services.db, ctx, typeName));
      if (row?.disabled_version && versionAtMost(version, row.disabled_version)) {
        throw new ApiError(
          "UnsupportedInventorySchemaVersionException",
          `${typeName} was disabled at schema version ${row.disabled_version} (DeleteInventory DisableSchema): send a version greater than it.`,
        );
      }
      if (content) {
        const attributes = inferAttributes(content.attributes);
        if (attributes.length > LIMITS.customAttributes) {
          throw new ApiError(
            "InvalidItemContentException",
            `${typeName} has ${attributes.length} attributes; a custom type may have at most ${LIMITS.customAttributes}.`,
            400,
            { TypeName: typeName },
          );
        }
        if (!row) {
          customCount += 1;
          if (customCount > LIMITS.customTypes) {
            throw new ApiError(
              "CustomSchemaCountLimitExceededException",
              `This account already has ${LIMITS.customTypes} custom inventory types in ${ctx.region}; delete one (DeleteInventory with DeleteSchema) before adding ${typeName}.`,
            );
          }
        }
        const known = row ? (JSON.parse(row.attributes) as CustomAttribute[]) : [];
        const merged = [...known, ...attributes.filter((a) => !known.some((k) => k.Name === a.Name))].slice(0, LIMITS.customAttributes);
        if (!row || row.version !== version || merged.length !== known.length || row.disabled_version) newCustom = { version, attributes: merged };
      }
      schema = newCustom ? customSchema(typeName, version, newCustom.attributes) : row ? customSchemaOf(row) : undefined;
      // A Custom: type's key attribute comes from its schema, known only now.
      const key = schema?.key;
      if (content && key !== undefined) content.keys = keyValues((entries ?? []).map((e) => e[key]));
    }
    if (content === undefined) {
      if (!item.ContentHash) {
        throw new ApiError("InvalidItemContentException", `${typeName} has neither Content nor ContentHash; send the content.`, 400, { TypeName: typeName });
      }
      const stored = await getItem(ctx.services.db, ctx, instanceId, typeName);
      if (!stored || stored.content_hash !== item.ContentHash) {
        throw new ApiError(
          "ItemContentMismatchException",
          `The ContentHash of ${typeName} does not match the inventory stored for ${instanceId}: send the item with its Content.`,
          400,
          { TypeName: typeName },
        );
      }
      out.push({ item, schema, hash: item.ContentHash, hashOnly: true });
      continue;
    }
    out.push({ item, schema, newCustom, content, hash: content.hash, hashOnly: false });
  }
  return out;
}

/** PutInventory: a node's inventory, one item per type; unchanged data (same hash) is not rewritten. */
export const putInventory = op<PutInventoryRequest, PutInventoryResult>({
  service: "ssm",
  name: "PutInventory",
  resources: (ctx, input) => [{ arn: nodeArn(ctx, String(input.InstanceId)), tags: () => nodeTags(ctx.services.db, ctx, String(input.InstanceId)) }],
  offThread: offThread(import.meta.url, "content", preparePutInventory),
  async handle(ctx, input) {
    const instanceId = String(input.InstanceId);
    await targetNode(ctx, instanceId);
    const checked = await checkItems(ctx, instanceId, input.Items ?? []);
    const now = ctx.services.clock.now();
    await ctx.transaction(async (tx) => {
      const existing = await hashesOf(
        tx.db,
        ctx,
        instanceId,
        checked.filter((c) => !c.hashOnly).map((c) => String(c.item.TypeName)),
      );
      for (const c of checked) {
        const typeName = String(c.item.TypeName);
        if (c.newCustom) {
          await putCustomSchema(tx.db, ctx, {
            type_name: typeName,
            version: c.newCustom.version,
            attributes: JSON.stringify(c.newCustom.attributes),
            disabled_version: null,
            created_at: now,
          });
        }
        if (c.hashOnly || existing.get(typeName) === c.hash) {
          await touchItem(tx.db, ctx, instanceId, typeName, String(c.item.CaptureTime), String(c.item.SchemaVersion), now);
          continue;
        }
        const item: NewItem = {
          typeName,
          schemaVersion: String(c.item.SchemaVersion),
          captureTime: String(c.item.CaptureTime),
          contentHash: c.hash,
          context: c.item.Context,
          content: c.content as PreparedContent,
        };
        await replaceItem(tx.db, ctx, instanceId, item, now);
      }
    });
    return { Message: `${checked.length} inventory item${checked.length === 1 ? "" : "s"} stored for ${instanceId}.` };
  },
});

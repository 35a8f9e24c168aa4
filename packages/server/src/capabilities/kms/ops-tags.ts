import type { ListResourceTagsRequest, ListResourceTagsResponse, Tag as KmsTag, TagResourceRequest, UntagResourceRequest } from "@aws-sdk/client-kms";
import { ApiError } from "../../errors.js";
import { op, type OperationDef, type RequestContext } from "../../runtime.js";
import { getTagList, getTags, putTags, removeTags, type Tag, tagProblem } from "../tags/index.js";
import { KEY_TAG_TYPE, keyRef } from "./access.js";
import { findKey } from "./keys.js";
import { markerRequest } from "../../http/paging.js";
import { invalidState, refuseManaged } from "./shared.js";

/** Checks KMS tags (no aws: keys, no duplicates, at most 50 on the key) and converts them for the tag store. */
export function checkTags(existing: Record<string, string>, tags: KmsTag[]): Tag[] {
  const out = tags.map((t) => ({ Key: String(t.TagKey), Value: String(t.TagValue ?? "") }));
  const seen = new Set<string>();
  for (const t of out) {
    if (seen.has(t.Key)) throw new ApiError("TagException", `The tag key ${t.Key} appears more than once in the request; give each key once.`);
    seen.add(t.Key);
  }
  const problem = tagProblem(existing, out, 50);
  if (problem) throw new ApiError(problem.includes("reserved") ? "TagException" : "LimitExceededException", problem);
  return out;
}

async function keyResource(ctx: RequestContext, input: { KeyId?: string }) {
  const key = await findKey(ctx, input.KeyId);
  return [keyRef(ctx, key.key_id)];
}

export const tagOperations: OperationDef<any, any>[] = [
  op<TagResourceRequest, object>({
    service: "kms",
    name: "TagResource",
    resources: keyResource,
    async handle(ctx, input) {
      const key = await findKey(ctx, input.KeyId);
      refuseManaged(ctx, key, "kms:TagResource");
      if (key.key_state === "PendingDeletion") throw invalidState(ctx, key, "is pending deletion.");
      const tags = checkTags(await getTags(ctx.services.db, ctx, KEY_TAG_TYPE, key.key_id), input.Tags ?? []);
      await putTags(ctx.services.db, ctx, KEY_TAG_TYPE, key.key_id, tags);
      return {};
    },
  }),
  op<UntagResourceRequest, object>({
    service: "kms",
    name: "UntagResource",
    resources: keyResource,
    async handle(ctx, input) {
      const key = await findKey(ctx, input.KeyId);
      refuseManaged(ctx, key, "kms:UntagResource");
      if (key.key_state === "PendingDeletion") throw invalidState(ctx, key, "is pending deletion.");
      await removeTags(ctx.services.db, ctx, KEY_TAG_TYPE, key.key_id, (input.TagKeys ?? []).map(String));
      return {};
    },
  }),
  op<ListResourceTagsRequest, ListResourceTagsResponse>({
    service: "kms",
    name: "ListResourceTags",
    resources: keyResource,
    async handle(ctx, input) {
      const key = await findKey(ctx, input.KeyId);
      const paging = markerRequest(ctx, input, { query: key.key_id, defaultSize: 50 });
      const after = paging.after;
      const all = (await getTagList(ctx.services.db, ctx, KEY_TAG_TYPE, key.key_id))
        .sort((a, b) => (a.Key < b.Key ? -1 : a.Key > b.Key ? 1 : 0))
        .filter((t) => after === undefined || t.Key > after);
      const { items, nextToken } = paging.finish(all.slice(0, paging.size + 1), (t) => t.Key);
      return {
        Tags: items.map((t) => ({ TagKey: t.Key, TagValue: t.Value })),
        Truncated: nextToken !== undefined,
        NextMarker: nextToken,
      };
    },
  }),
];

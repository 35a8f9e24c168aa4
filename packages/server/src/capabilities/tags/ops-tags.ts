import type { AddTagsToResourceRequest, ListTagsForResourceRequest, RemoveTagsFromResourceRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { Access, RequestContext, TaggableResourceType } from "../../runtime.js";
import { op } from "../../runtime.js";
import { getTagList, getTags, putTags, removeTags, tagProblem } from "./store.js";

/** The resource a tag call names, found once for authorization and handed to the handler. */
interface Tagged {
  type: string;
  kind: TaggableResourceType;
  id: string;
}

function taggable(ctx: RequestContext, type: string): TaggableResourceType {
  const t = ctx.services.taggable.get(type);
  if (!t) throw new ApiError("InvalidResourceType", `The resource type ${type} does not accept tags in openssm yet.`);
  return t;
}

async function target(ctx: RequestContext, input: { ResourceType?: string; ResourceId?: string }): Promise<Access<Tagged>> {
  const type = String(input.ResourceType);
  const kind = taggable(ctx, type);
  const resolved = await kind.resolve(ctx, String(input.ResourceId));
  return {
    resources: [{ arn: resolved.arn, tags: () => getTags(ctx.services.db, ctx, type, resolved.id) }],
    prepared: { type, kind, id: resolved.id },
  };
}

export const addTagsToResource = op<AddTagsToResourceRequest, object, Tagged>({
  service: "ssm",
  name: "AddTagsToResource",
  resources: target,
  async handle(ctx, input, { type, kind, id }) {
    const tags = (input.Tags ?? []).map((x) => ({ Key: String(x.Key), Value: String(x.Value ?? "") }));
    const problem = tagProblem(await getTags(ctx.services.db, ctx, type, id), tags, kind.maxTags);
    if (problem) throw new ApiError(problem.includes("reserved") ? "InvalidParameters" : "TooManyTagsError", problem);
    await putTags(ctx.services.db, ctx, type, id, tags);
    await kind.onChange?.(ctx, id);
    return {};
  },
});

export const removeTagsFromResource = op<RemoveTagsFromResourceRequest, object, Tagged>({
  service: "ssm",
  name: "RemoveTagsFromResource",
  resources: target,
  async handle(ctx, input, { type, kind, id }) {
    await removeTags(ctx.services.db, ctx, type, id, (input.TagKeys ?? []).map(String));
    await kind.onChange?.(ctx, id);
    return {};
  },
});

export const listTagsForResource = op<ListTagsForResourceRequest, object, Tagged>({
  service: "ssm",
  name: "ListTagsForResource",
  resources: target,
  async handle(ctx, _input, { type, id }) {
    return { TagList: await getTagList(ctx.services.db, ctx, type, id) };
  },
});

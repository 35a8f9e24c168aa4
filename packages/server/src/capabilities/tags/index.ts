import type { AddTagsToResourceRequest, ListTagsForResourceRequest, RemoveTagsFromResourceRequest } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { Capability, RequestContext, ResourceRef, TaggableResourceType } from "../../runtime.js";
import { op } from "../../runtime.js";
import { getTagList, getTags, putTags, removeTags, tagMigrations, tagProblem } from "./store.js";

export * from "./store.js";

function taggable(ctx: RequestContext, type: string): TaggableResourceType {
  const t = ctx.services.taggable.get(type);
  if (!t) throw new ApiError("InvalidResourceType", `The resource type ${type} does not accept tags in openssm yet.`);
  return t;
}

async function target(ctx: RequestContext, input: { ResourceType?: string; ResourceId?: string }): Promise<ResourceRef & { id: string }> {
  const type = String(input.ResourceType);
  const resolved = await taggable(ctx, type).resolve(ctx, String(input.ResourceId));
  return { id: resolved.id, arn: resolved.arn, tags: () => getTags(ctx.services.db, ctx, type, resolved.id) };
}

export const tagsCapability: Capability = {
  name: "tags",
  migrations: () => tagMigrations,
  operations: [
    op<AddTagsToResourceRequest, object>({
      service: "ssm",
      name: "AddTagsToResource",
      resources: async (ctx, input) => [await target(ctx, input)],
      async handle(ctx, input) {
        const type = String(input.ResourceType);
        const t = taggable(ctx, type);
        const { id } = await target(ctx, input);
        const tags = (input.Tags ?? []).map((x) => ({ Key: String(x.Key), Value: String(x.Value ?? "") }));
        const problem = tagProblem(await getTags(ctx.services.db, ctx, type, id), tags, t.maxTags);
        if (problem) throw new ApiError(problem.includes("reserved") ? "InvalidParameters" : "TooManyTagsError", problem);
        await putTags(ctx.services.db, ctx, type, id, tags);
        await t.onChange?.(ctx, id);
        return {};
      },
    }),
    op<RemoveTagsFromResourceRequest, object>({
      service: "ssm",
      name: "RemoveTagsFromResource",
      resources: async (ctx, input) => [await target(ctx, input)],
      async handle(ctx, input) {
        const type = String(input.ResourceType);
        const { id } = await target(ctx, input);
        await removeTags(ctx.services.db, ctx, type, id, (input.TagKeys ?? []).map(String));
        await taggable(ctx, type).onChange?.(ctx, id);
        return {};
      },
    }),
    op<ListTagsForResourceRequest, object>({
      service: "ssm",
      name: "ListTagsForResource",
      resources: async (ctx, input) => [await target(ctx, input)],
      async handle(ctx, input) {
        const { id } = await target(ctx, input);
        return { TagList: await getTagList(ctx.services.db, ctx, String(input.ResourceType), id) };
      },
    }),
  ],
};

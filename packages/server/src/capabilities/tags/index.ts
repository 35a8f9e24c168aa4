import type { Capability } from "../../runtime.js";
import { addTagsToResource, listTagsForResource, removeTagsFromResource } from "./ops-tags.js";
import { tagMigrations } from "./store.js";

export * from "./store.js";

/** AddTagsToResource, RemoveTagsFromResource, ListTagsForResource for every type in `services.taggable`. */
export const tagsCapability: Capability = {
  name: "tags",
  migrations: () => tagMigrations,
  operations: [addTagsToResource, removeTagsFromResource, listTagsForResource],
};

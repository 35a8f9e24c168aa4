import { ApiError } from "../../../errors.js";
import { type Action, str } from "./types.js";

/** aws:createTags: tags openssm resources (ManagedInstance by default, Document, Parameter, ...) through AddTagsToResource. */
export const createTagsAction: Action = {
  async run(r) {
    const ids = (Array.isArray(r.inputs.ResourceIds) ? r.inputs.ResourceIds : [r.inputs.ResourceIds]).map(str).filter(Boolean);
    const type = r.inputs.ResourceType === undefined ? "ManagedInstance" : str(r.inputs.ResourceType);
    if (type === "EC2")
      return {
        kind: "failed",
        message: "openssm manages no EC2 resources; use ResourceType ManagedInstance, Document, Parameter or another openssm resource type.",
      };
    const tags = (Array.isArray(r.inputs.Tags) ? r.inputs.Tags : []).map((t) => ({
      Key: str((t as Record<string, unknown>).Key),
      Value: str((t as Record<string, unknown>).Value),
    }));
    for (const id of ids) {
      try {
        await r.call("ssm", "AddTagsToResource", { ResourceType: type, ResourceId: id, Tags: tags });
      } catch (e) {
        if (e instanceof ApiError) return { kind: "failed", message: `Tagging ${type} ${id} failed: ${e.code}: ${e.message}` };
        throw e;
      }
    }
    return { kind: "success" };
  },
};

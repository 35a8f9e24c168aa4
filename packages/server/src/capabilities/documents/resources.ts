import type { Access, RequestContext, ResourceRef } from "../../runtime.js";
import { getTags } from "../tags/index.js";
import { type DocumentHandle, findDocument } from "./access.js";
import { TAG_TYPE } from "./tag-type.js";

export function documentRef(ctx: RequestContext, handle: DocumentHandle): ResourceRef {
  if (handle.kind === "builtin") return { arn: handle.arn, tags: async () => ({}) };
  return { arn: handle.arn, tags: () => getTags(ctx.services.db, handle.scope, TAG_TYPE, handle.name) };
}

/** The document a read request names (own, shared, public or built-in): authorized, then handed to the handler. */
export async function readResources(ctx: RequestContext, input: { Name?: string }): Promise<Access<DocumentHandle>> {
  const handle = await findDocument(ctx, String(input.Name));
  return { resources: [documentRef(ctx, handle)], prepared: handle };
}

/** The caller's own document of that name (which may not exist yet), for authorizing writes. */
export function ownResources(ctx: RequestContext, input: { Name?: string }): ResourceRef[] {
  const name = String(input.Name);
  const scope = { accountId: ctx.accountId, region: ctx.region };
  return [{ arn: ctx.arn("ssm", `document/${name}`), tags: () => getTags(ctx.services.db, scope, TAG_TYPE, name) }];
}

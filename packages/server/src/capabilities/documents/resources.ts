import type { RequestContext, ResourceRef } from "../../runtime.js";
import { getTags } from "../tags/index.js";
import { type DocumentHandle, findDocument } from "./access.js";
import { TAG_TYPE } from "./tag-type.js";

/** Handles found while authorizing, reused by the handler of the same request. */
const found = new WeakMap<object, DocumentHandle>();

export function documentRef(ctx: RequestContext, handle: DocumentHandle): ResourceRef {
  if (handle.kind === "builtin") return { arn: handle.arn, tags: async () => ({}) };
  return { arn: handle.arn, tags: () => getTags(ctx.services.db, handle.scope, TAG_TYPE, handle.name) };
}

/** The document a read request names (own, shared, public or built-in), for authorization. */
export async function readResources(ctx: RequestContext, input: { Name?: string }): Promise<ResourceRef[]> {
  const handle = await findDocument(ctx, String(input.Name));
  found.set(input, handle);
  return [documentRef(ctx, handle)];
}

export async function handleFor(ctx: RequestContext, input: { Name?: string }): Promise<DocumentHandle> {
  return found.get(input) ?? findDocument(ctx, String(input.Name));
}

/** The caller's own document of that name (which may not exist yet), for authorizing writes. */
export function ownResources(ctx: RequestContext, input: { Name?: string }): ResourceRef[] {
  const name = String(input.Name);
  const scope = { accountId: ctx.accountId, region: ctx.region };
  return [{ arn: ctx.arn("ssm", `document/${name}`), tags: () => getTags(ctx.services.db, scope, TAG_TYPE, name) }];
}

import type { Target } from "@aws-sdk/client-ssm";
import type { AnyDb } from "../../storage/database.js";
import type { Scope } from "../../storage/scope.js";
import { NODE_RESOURCE_TYPE, registeredNodeIds } from "../nodes/index.js";
import { findByTag } from "../tags/index.js";

/**
 * The registered nodes an association's targets select now (every Targets entry must hold): node ids
 * or "*", tag:<key> with values, tag-key. Ids of nodes that are not registered select nothing (an
 * association whose targets match no node is kept, as AWS keeps it).
 */
export async function targetNodes(db: AnyDb, scope: Scope, targets: Target[]): Promise<string[]> {
  const registered = await registeredNodeIds(db, scope, "*");
  let result: Set<string> | undefined;
  for (const t of targets) {
    const key = String(t.Key ?? "");
    const values = (t.Values ?? []).map(String);
    let ids: string[];
    if (key === "InstanceIds") ids = values.includes("*") ? registered : values;
    else if (key.startsWith("tag:")) ids = await findByTag(db, scope, NODE_RESOURCE_TYPE, key.slice(4), values);
    else if (key === "tag-key") ids = (await Promise.all(values.map((k) => findByTag(db, scope, NODE_RESOURCE_TYPE, k)))).flat();
    else ids = [];
    const next = new Set(ids);
    result = result ? new Set([...result].filter((id) => next.has(id))) : next;
  }
  const live = new Set(registered);
  return [...(result ?? [])].filter((id) => live.has(id)).sort();
}

import type { Kysely, Migration } from "kysely";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";

/** Tags of every taggable SSM resource, keyed by account, region, resource type and id. */
export interface TagTables {
  resource_tags: { account_id: string; region: string; resource_type: string; resource_id: string; tag_key: string; tag_value: string };
}

export const tagMigrations: Record<string, Migration> = {
  "tags-001-resource-tags": {
    async up(db: AnyDb) {
      await db.schema
        .createTable("resource_tags")
        .addColumn("account_id", "varchar(12)", (c) => c.notNull())
        .addColumn("region", "varchar(32)", (c) => c.notNull())
        .addColumn("resource_type", "varchar(64)", (c) => c.notNull())
        .addColumn("resource_id", "varchar(2048)", (c) => c.notNull())
        .addColumn("tag_key", "varchar(128)", (c) => c.notNull())
        .addColumn("tag_value", "varchar(256)", (c) => c.notNull())
        .addPrimaryKeyConstraint("resource_tags_pk", ["account_id", "region", "resource_type", "resource_id", "tag_key"])
        .execute();
      await db.schema
        .createIndex("resource_tags_by_key")
        .on("resource_tags")
        .columns(["account_id", "region", "resource_type", "tag_key", "tag_value"])
        .execute();
    },
  },
};

export type { Scope } from "../../storage/scope.js";

export interface Tag {
  Key: string;
  Value: string;
}

const t = (db: AnyDb) => db as unknown as Kysely<TagTables>;

export async function getTags(db: AnyDb, scope: Scope, type: string, id: string): Promise<Record<string, string>> {
  const rows = await t(db)
    .selectFrom("resource_tags")
    .select(["tag_key", "tag_value"])
    .where(inScope(scope))
    .where("resource_type", "=", type)
    .where("resource_id", "=", id)
    .orderBy("tag_key")
    .execute();
  return Object.fromEntries(rows.map((r) => [r.tag_key, r.tag_value]));
}

export async function getTagList(db: AnyDb, scope: Scope, type: string, id: string): Promise<Tag[]> {
  return Object.entries(await getTags(db, scope, type, id)).map(([Key, Value]) => ({ Key, Value }));
}

/** Adds or overwrites tags. */
export async function putTags(db: AnyDb, scope: Scope, type: string, id: string, tags: Tag[]): Promise<void> {
  for (const tag of tags) {
    await t(db)
      .insertInto("resource_tags")
      .values({ account_id: scope.accountId, region: scope.region, resource_type: type, resource_id: id, tag_key: tag.Key, tag_value: tag.Value ?? "" })
      .onConflict((oc) => oc.columns(["account_id", "region", "resource_type", "resource_id", "tag_key"]).doUpdateSet({ tag_value: tag.Value ?? "" }))
      .execute();
  }
}

export async function removeTags(db: AnyDb, scope: Scope, type: string, id: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  await t(db)
    .deleteFrom("resource_tags")
    .where(inScope(scope))
    .where("resource_type", "=", type)
    .where("resource_id", "=", id)
    .where("tag_key", "in", keys)
    .execute();
}

export async function deleteAllTags(db: AnyDb, scope: Scope, type: string, id: string): Promise<void> {
  await t(db).deleteFrom("resource_tags").where(inScope(scope)).where("resource_type", "=", type).where("resource_id", "=", id).execute();
}

/** Ids of resources of a type that carry the tag (any of `values`, or any value when `values` is empty). */
export async function findByTag(db: AnyDb, scope: Scope, type: string, key: string, values: string[] = []): Promise<string[]> {
  let q = t(db).selectFrom("resource_tags").select("resource_id").where(inScope(scope)).where("resource_type", "=", type).where("tag_key", "=", key);
  if (values.length) q = q.where("tag_value", "in", values);
  return (await q.execute()).map((r) => r.resource_id);
}

/** Checks tags as AWS does for every resource: at most `max`, no reserved `aws:` keys. Returns an error message or null. */
export function tagProblem(existing: Record<string, string>, adding: Tag[], max = 50): string | null {
  for (const tag of adding) {
    if (tag.Key.toLowerCase().startsWith("aws:")) return `Tag keys beginning with "aws:" are reserved: ${tag.Key}`;
  }
  const keys = new Set([...Object.keys(existing), ...adding.map((a) => a.Key)]);
  if (keys.size > max) return `A resource can have at most ${max} tags; this request would give it ${keys.size}.`;
  return null;
}

import { type Kysely, type Selectable, sql } from "kysely";
import { type AnyDb, tables } from "../../storage/database.js";
import type { ParameterTables } from "./tables.js";
import { inScope, type Scope } from "../../storage/scope.js";

export type HeadRow = Selectable<ParameterTables["parameters"]>;
export type VersionRow = Selectable<ParameterTables["parameter_versions"]>;
export type ParamDb = Kysely<ParameterTables>;

export type { Scope } from "../../storage/scope.js";

export const pdb = (d: AnyDb): ParamDb => tables<ParameterTables>(d);

const SCAN_BATCH = 200;

export async function getHead(d: ParamDb, s: Scope, key: string): Promise<HeadRow | undefined> {
  return d.selectFrom("parameters").selectAll().where(inScope(s)).where("name_key", "=", key).executeTakeFirst();
}

export async function getVersion(d: ParamDb, s: Scope, key: string, version: number): Promise<VersionRow | undefined> {
  return d.selectFrom("parameter_versions").selectAll().where(inScope(s)).where("name_key", "=", key).where("version", "=", version).executeTakeFirst();
}

/** The version a label is attached to, if any. */
export async function labeledVersion(d: ParamDb, s: Scope, key: string, label: string): Promise<number | undefined> {
  const row = await d
    .selectFrom("parameter_labels")
    .select("version")
    .where(inScope(s))
    .where("name_key", "=", key)
    .where("label", "=", label)
    .executeTakeFirst();
  return row ? Number(row.version) : undefined;
}

/** Every label of a parameter, by version. */
export async function labelsByVersion(d: ParamDb, s: Scope, key: string): Promise<Map<number, string[]>> {
  const rows = await d.selectFrom("parameter_labels").select(["label", "version"]).where(inScope(s)).where("name_key", "=", key).orderBy("label").execute();
  const map = new Map<number, string[]>();
  for (const r of rows) {
    const v = Number(r.version);
    map.set(v, [...(map.get(v) ?? []), r.label]);
  }
  return map;
}

export async function countByTier(d: ParamDb, s: Scope, tier: string): Promise<number> {
  const row = await d
    .selectFrom("parameters")
    .select((eb) => eb.fn.countAll<number | string>().as("n"))
    .where(inScope(s))
    .where("tier", "=", tier)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The oldest retained version and how many are retained. */
export async function versionSpan(d: ParamDb, s: Scope, key: string): Promise<{ oldest: number; count: number }> {
  const row = await d
    .selectFrom("parameter_versions")
    .select((eb) => [eb.fn.min<number | string>("version").as("oldest"), eb.fn.countAll<number | string>().as("n")])
    .where(inScope(s))
    .where("name_key", "=", key)
    .executeTakeFirstOrThrow();
  return { oldest: Number(row.oldest ?? 0), count: Number(row.n) };
}

/** Versions in ascending order after `afterVersion`. */
export async function listVersions(d: ParamDb, s: Scope, key: string, afterVersion: number, limit: number): Promise<VersionRow[]> {
  return d
    .selectFrom("parameter_versions")
    .selectAll()
    .where(inScope(s))
    .where("name_key", "=", key)
    .where("version", ">", afterVersion)
    .orderBy("version")
    .limit(limit)
    .execute();
}

/** Removes a parameter with its versions and labels (tags belong to the tags capability). */
/** Deletes a parameter's rows; run it in the caller's transaction (with its tags and its event). */
export async function deleteParameterRows(d: AnyDb, s: Scope, key: string): Promise<boolean> {
  const trx = pdb(d);
  await trx.deleteFrom("parameter_labels").where(inScope(s)).where("name_key", "=", key).execute();
  await trx.deleteFrom("parameter_versions").where(inScope(s)).where("name_key", "=", key).execute();
  const r = await trx.deleteFrom("parameters").where(inScope(s)).where("name_key", "=", key).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

export interface ScanOptions {
  /** Only keys after this one (page tokens). */
  after?: string;
  /** Only parameters under this path: directly in it, or anywhere below when recursive. */
  path?: string;
  recursive?: boolean;
  /** Only these types. */
  types?: string[];
}

/** Walks the parameters of an account and region in name order, in batches. */
export async function* scanParameters(d: ParamDb, s: Scope, opts: ScanOptions): AsyncGenerator<HeadRow> {
  let after = opts.after;
  for (;;) {
    let q = d.selectFrom("parameters").selectAll().where(inScope(s));
    if (after !== undefined) q = q.where("name_key", ">", after);
    if (opts.types?.length) q = q.where("type", "in", opts.types);
    if (opts.path !== undefined) {
      if (!opts.recursive) q = q.where("parent_path", "=", opts.path);
      else if (opts.path !== "/") {
        const prefix = `${opts.path}/`;
        q = q.where((eb) => eb(sql<string>`substr(name_key, 1, ${sql.lit(prefix.length)})`, "=", prefix));
      }
    }
    const rows = await q.orderBy("name_key").limit(SCAN_BATCH).execute();
    for (const r of rows) yield r;
    if (rows.length < SCAN_BATCH) return;
    after = rows[rows.length - 1].name_key;
  }
}

/** Parameters whose policies are due at `now`, across every account and region (the scheduler's work). */
export async function duePolicyParameters(d: ParamDb, now: number, limit: number): Promise<HeadRow[]> {
  return d.selectFrom("parameters").selectAll().where("next_policy_at", "<=", now).orderBy("next_policy_at").limit(limit).execute();
}

import { type ExpressionBuilder, type Kysely, type Selectable, sql } from "kysely";
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

/** What `readVersion` finds: the parameter's name and latest version, the version a label selects, and the version's row. */
export interface VersionRead {
  head: Pick<HeadRow, "name" | "name_key" | "version">;
  /** The version the label names (label selectors only; undefined when no such label). */
  labeled?: number;
  /** The selected version's row, or undefined when that version is not retained. */
  row?: VersionRow;
}

/**
 * The parameter and one of its versions in one statement (GetParameter's read path does one round
 * trip to the database): the latest version, a given version, or the version a label is attached to.
 * Undefined when the parameter does not exist.
 */
export async function readVersion(
  d: ParamDb,
  s: Scope,
  key: string,
  selector: { kind: "version"; version: number } | { kind: "label"; label: string } | undefined,
): Promise<VersionRead | undefined> {
  const labelOf = (eb: ExpressionBuilder<any, any>, label: string) =>
    eb
      .selectFrom("parameter_labels as l")
      .select("l.version")
      .whereRef("l.account_id", "=", "p.account_id")
      .whereRef("l.region", "=", "p.region")
      .whereRef("l.name_key", "=", "p.name_key")
      .where("l.label", "=", label);
  const row = await d
    .selectFrom("parameters as p")
    .leftJoin("parameter_versions as v", (j) => {
      const on = j.onRef("v.account_id", "=", "p.account_id").onRef("v.region", "=", "p.region").onRef("v.name_key", "=", "p.name_key");
      if (selector?.kind === "version") return on.on("v.version", "=", selector.version);
      if (selector?.kind === "label") return on.on((eb) => eb("v.version", "=", labelOf(eb, selector.label)));
      return on.onRef("v.version", "=", "p.version");
    })
    .selectAll("v")
    .select(["p.name as head_name", "p.name_key as head_key", "p.version as head_version"])
    .$if(selector?.kind === "label", (q) => q.select((eb) => labelOf(eb, (selector as { label: string }).label).as("labeled_version")))
    .where(inScope(s, "p"))
    .where("p.name_key", "=", key)
    .executeTakeFirst();
  if (!row) return undefined;
  const { head_name, head_key, head_version, labeled_version, ...version } = row as typeof row & { labeled_version?: number | string | null };
  return {
    head: { name: head_name, name_key: head_key, version: Number(head_version) },
    labeled: labeled_version === null || labeled_version === undefined ? undefined : Number(labeled_version),
    row: version.version === null || version.version === undefined ? undefined : (version as VersionRow),
  };
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

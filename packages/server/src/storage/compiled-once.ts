import type { Compilable, CompiledQuery, QueryResult } from "kysely";
import type { AnyDb } from "./database.js";

/** Where an argument goes in a query built once: the builder receives these in place of the values. */
export class Slot {
  constructor(readonly index: number) {}
}

interface Template {
  sql: string;
  query: CompiledQuery["query"];
  /** Per parameter: the argument index it takes, or the constant the builder wrote. */
  parameters: readonly (Slot | { constant: unknown })[];
}

/**
 * A statement Kysely builds and compiles once per dialect, then runs with new arguments. Building and
 * compiling a query costs more than SQLite takes to run a simple one; on the paths that run some twenty
 * statements for every node of a command, that was a fifth of the server's time.
 *
 * The builder gets `Slot`s for the arguments and must use each as a plain value (a comparison, a column
 * to set, a value to insert), so that the statement's text does not depend on the values: never in an
 * `in` list, `is null`, or a choice of columns; a slot may be used more than once. The arguments are the
 * builder's own parameters after `db` (or `arity` of them, for a builder that takes its slots as a rest
 * parameter); a slot the compiled statement does not carry is refused. A statement whose text varies
 * with the call (the columns it sets, an `in` list's length) takes one compiledOnce per shape, kept by
 * the shape (commands/invocations.ts, moveFromStatement).
 */
/** A slot stands in for a value of whatever type its column takes. */
type SlotValue = any;

export function compiledOnce<A extends unknown[], R>(build: (db: AnyDb, ...slots: SlotValue[]) => Compilable<R>, arity = build.length - 1) {
  const templates = new WeakMap<object, Template>();
  const templateFor = (db: AnyDb): Template => {
    const key = db.getExecutor().adapter;
    let t = templates.get(key);
    if (!t) {
      const slots = Array.from({ length: arity }, (_, i) => new Slot(i));
      const compiled = build(db, ...slots).compile();
      const parameters = compiled.parameters.map((p) => (p instanceof Slot ? p : { constant: p }));
      for (const s of slots) {
        if (!parameters.includes(s)) throw new Error(`compiledOnce: argument ${s.index} does not reach the statement ${compiled.sql}`);
      }
      t = { sql: compiled.sql, query: compiled.query, parameters };
      templates.set(key, t);
    }
    return t;
  };
  return async (db: AnyDb, ...args: A): Promise<QueryResult<R>> => {
    if (args.length !== arity) throw new Error(`compiledOnce: ${args.length} arguments for a statement that takes ${arity}`);
    const t = templateFor(db);
    const parameters = t.parameters.map((p) => (p instanceof Slot ? args[p.index] : p.constant));
    return db.executeQuery<R>({ sql: t.sql, query: t.query, parameters } as CompiledQuery<R>);
  };
}

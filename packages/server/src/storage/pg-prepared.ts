import { createHash } from "node:crypto";
import type pg from "pg";

/** Statements longer than this (an `in (...)` list of many ids) are sent unnamed: each is used rarely. */
const MAX_PREPARED_TEXT = 4096;
/** Named statements one connection keeps; later texts go unnamed (PostgreSQL holds each one per session). */
const MAX_PREPARED_PER_CONNECTION = 1000;
/** SQLSTATE of "cached plan must not change result type": a table a named statement reads was altered. */
const CACHED_PLAN_CHANGED = "0A000";

/** Transaction control (Kysely's `begin`, `start transaction ...`, `commit`, `rollback`, savepoints): never prepared. */
const TRANSACTION_CONTROL = /^\s*(begin|start|commit|rollback|savepoint|release)\b/i;

const names = new Map<string, string>();

/** A stable statement name for a SQL text (the same on every connection). */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `k${createHash("sha1").update(text).digest("base64url").slice(0, 22)}`;
    if (names.size >= 10 * MAX_PREPARED_PER_CONNECTION) names.clear();
    names.set(text, name);
  }
  return name;
}

interface PreparingState {
  /** Bumped when the server refused a cached plan: later statements get fresh names. */
  generation: number;
  prepared: Set<string>;
  inTransaction: boolean;
}

type Query = (text: unknown, values?: unknown, callback?: unknown) => unknown;

/**
 * Sends a connection's parameterized queries as named prepared statements, so PostgreSQL parses and
 * plans each SQL text once per connection instead of on every call (Kysely sends every query as an
 * unnamed statement). The hot read paths (GetParameter, node authentication) run the same few texts
 * thousands of times a second. A statement whose table was altered meanwhile (a rolling upgrade's
 * migration) is re-sent under a new name; inside a transaction the error stands, as any other would.
 */
export function usePreparedStatements(client: pg.PoolClient): void {
  const state: PreparingState = { generation: 0, prepared: new Set(), inTransaction: false };
  const query = client.query.bind(client) as Query;
  const named: Query = (text, values, callback) => {
    if (typeof text !== "string" || !Array.isArray(values) || callback !== undefined) return query(text, values, callback);
    const control = text.length <= 64 ? TRANSACTION_CONTROL.exec(text) : null;
    if (control) {
      const word = control[1].toLowerCase();
      if (word === "begin" || word === "start") state.inTransaction = true;
      else if (word === "commit" || (word === "rollback" && !/\bto\b/i.test(text))) state.inTransaction = false;
      return query(text, values);
    }
    if (text.length > MAX_PREPARED_TEXT) return query(text, values);
    const name = `${statementName(text)}_${state.generation}`;
    if (!state.prepared.has(name)) {
      if (state.prepared.size >= MAX_PREPARED_PER_CONNECTION) return query(text, values);
      state.prepared.add(name);
    }
    return (query({ name, text, values }) as Promise<pg.QueryResult>).catch((e: { code?: string }) => {
      if (e?.code !== CACHED_PLAN_CHANGED || state.inTransaction) throw e;
      state.generation++;
      state.prepared.clear();
      return query(text, values);
    });
  };
  client.query = named as typeof client.query;
}

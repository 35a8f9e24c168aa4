import { JSONPath } from "jsonpath-plus";
import type { OutputDeclaration } from "./runbook.js";

/** A value as the output type declares it (String, Integer, Boolean, StringList, StringMap, MapList). */
export function typed(value: unknown, type: string): unknown {
  switch (type) {
    case "Integer": {
      const n = typeof value === "number" ? value : Number(value);
      return Number.isFinite(n) ? Math.trunc(n) : undefined;
    }
    case "Boolean":
      return typeof value === "boolean" ? value : String(value).toLowerCase() === "true";
    case "StringList":
      return (Array.isArray(value) ? value : [value]).map((v) => (typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)));
    case "StringMap":
      return value !== null && typeof value === "object" && !Array.isArray(value) ? value : undefined;
    case "MapList":
      return Array.isArray(value) ? value.filter((v) => v !== null && typeof v === "object") : undefined;
    default:
      return typeof value === "string" ? value : value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
  }
}

/**
 * Applies a step's declared outputs to the action's response: each JSONPath Selector picks a value
 * (a selector that matches several values gives a list), converted to the declared Type. A selector
 * that matches nothing leaves that output unset.
 */
export function selectOutputs(response: unknown, declared: OutputDeclaration[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (response === undefined) return out;
  for (const o of declared) {
    const found = JSONPath({ path: o.Selector, json: response as object, wrap: true }) as unknown[];
    if (!found || found.length === 0) continue;
    const wantsList = o.Type === "StringList" || o.Type === "MapList";
    const value = found.length === 1 && !(wantsList && !Array.isArray(found[0])) ? found[0] : found;
    const v = typed(value, o.Type);
    if (v !== undefined) out[o.Name] = v;
  }
  return out;
}

/** Typed values as the API shows them: Record<string, string[]>. */
export function apiValues(values: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(values)) {
    if (Array.isArray(v)) out[k] = v.map((x) => (typeof x === "object" && x !== null ? JSON.stringify(x) : String(x)));
    else if (v !== null && typeof v === "object") out[k] = [JSON.stringify(v)];
    else if (v !== undefined) out[k] = [String(v)];
  }
  return out;
}

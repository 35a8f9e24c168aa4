/** `{{ name }}` references: optional spaces around a parameter name. */
const REFERENCE = /\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}$/;

/** A value placed inside a longer string: strings as they are, anything else as JSON (as the agent marshals it). */
function render(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/**
 * Substitutes `{{ name }}` occurrences in any JSON value (strings inside objects and arrays) with
 * resolved parameter values, as the agent does for a document's steps: a string that is exactly one
 * reference becomes the parameter's value itself (a StringList stays a list, a StringMap an object);
 * a reference inside a longer string is replaced by the value's text (JSON for lists and maps).
 * References to names that are not parameters ({{ssm:...}}, automation outputs) are left as written.
 */
export function substituteParameters(value: unknown, params: Record<string, unknown>): unknown {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole && Object.hasOwn(params, whole[1])) return structuredClone(params[whole[1]]);
    return value.replace(REFERENCE, (m, name: string) => (Object.hasOwn(params, name) ? render(params[name]) : m));
  }
  if (Array.isArray(value)) return value.map((item) => substituteParameters(item, params));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteParameters(v, params);
    return out;
  }
  return value;
}

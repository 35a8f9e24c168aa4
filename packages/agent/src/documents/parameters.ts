/**
 * Document parameters as the agent applies them: the values SendCommand passed, normalized by the
 * document's declarations (a String arrives as a one-element list or a plain string; a StringList
 * as a list), defaults filled in, then `{{ name }}` replaced everywhere in the steps' inputs.
 */

export interface ParameterDeclaration {
  type?: string;
  default?: unknown;
  description?: string;
  allowedValues?: unknown[];
  allowedPattern?: string;
}

const NAME = /^[a-zA-Z0-9]+$/;

/** The value a parameter has for substitution: a string, or a list for StringList / MapList. */
export function normalizeParameters(
  given: Record<string, unknown> | undefined,
  declared: Record<string, ParameterDeclaration> | undefined,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const decls = declared ?? {};
  for (const [name, raw] of Object.entries(given ?? {})) {
    if (!NAME.test(name)) continue;
    out[name] = normalizeValue(raw, decls[name]?.type);
  }
  for (const [name, decl] of Object.entries(decls)) {
    if (!(name in out) && NAME.test(name)) out[name] = normalizeValue(decl?.default ?? "", decl?.type);
  }
  return out;
}

function normalizeValue(v: unknown, type: string | undefined): unknown {
  const list = type === "StringList" || type === "MapList";
  if (list) {
    if (Array.isArray(v)) return v;
    if (v === undefined || v === null || v === "") return [];
    return [v];
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return "";
    if (v.length === 1) return typeof v[0] === "string" ? v[0] : JSON.stringify(v[0]);
    return type ? v.map(String).join(",") : v;
  }
  if (v === undefined || v === null) return "";
  return v;
}

function asText(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Replaces `{{ name }}` in every string of `input`; a string that is only `{{ name }}` becomes the value itself. */
export function substituteParameters(input: unknown, params: Record<string, unknown>): unknown {
  if (typeof input === "string") {
    const whole = /^\{\{\s*([a-zA-Z0-9]+)\s*\}\}$/.exec(input);
    if (whole && whole[1] in params) return params[whole[1]];
    return input.replace(/\{\{\s*([a-zA-Z0-9]+)\s*\}\}/g, (m, name: string) => (name in params ? asText(params[name]).replaceAll("$$", "$") : m));
  }
  if (Array.isArray(input)) return input.map((v) => substituteParameters(v, params));
  if (input && typeof input === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) out[k] = substituteParameters(v, params);
    return out;
  }
  return input;
}

/** Names of `{{ssm:name}}` / `{{ssm-secure:name}}` references left in the inputs. */
export function parameterStoreReferences(input: unknown, out = new Set<string>()): Set<string> {
  if (typeof input === "string") {
    for (const m of input.matchAll(/\{\{\s*(ssm|ssm-secure):([^\s}]+)\s*\}\}/g)) out.add(`${m[1]}:${m[2]}`);
  } else if (Array.isArray(input)) input.forEach((v) => parameterStoreReferences(v, out));
  else if (input && typeof input === "object") Object.values(input).forEach((v) => parameterStoreReferences(v, out));
  return out;
}

/** Replaces `{{ssm:name}}` references with resolved values (keys as parameterStoreReferences gives them). */
export function substituteParameterStore(input: unknown, values: Map<string, string>): unknown {
  if (typeof input === "string") {
    return input.replace(/\{\{\s*(ssm|ssm-secure):([^\s}]+)\s*\}\}/g, (m, kind: string, name: string) => values.get(`${kind}:${name}`) ?? m);
  }
  if (Array.isArray(input)) return input.map((v) => substituteParameterStore(v, values));
  if (input && typeof input === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(input as Record<string, unknown>)) out[k] = substituteParameterStore(v, values);
    return out;
  }
  return input;
}

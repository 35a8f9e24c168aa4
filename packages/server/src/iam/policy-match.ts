/** Request context keys, lower-cased names (aws:username, ssm:resourcetag/env, ...). */
export type ContextValues = Record<string, string | string[] | undefined>;

const VARIABLE = /\$\{([^}]*)\}/g;

/** The value of one ${...} variable: ${*}, ${?} and ${$} are literal characters; `key, 'default'` gives a fallback. */
function variableValue(name: string, context: ContextValues): string | undefined {
  if (name === "*" || name === "?" || name === "$") return name;
  const comma = name.indexOf(",");
  const key = (comma < 0 ? name : name.slice(0, comma)).trim().toLowerCase();
  const raw = context[key];
  const value = Array.isArray(raw) ? (raw.length === 1 ? raw[0] : undefined) : raw;
  if (value !== undefined) return value;
  if (comma < 0) return undefined;
  const fallback = name.slice(comma + 1).trim();
  return /^'.*'$/s.test(fallback) ? fallback.slice(1, -1) : fallback;
}

/** Substitutes ${key} policy variables; null when a variable has no value (the string then matches nothing). */
export function substituteVariables(text: string, context: ContextValues): string | null {
  if (!text.includes("${")) return text;
  let missing = false;
  const out = text.replace(VARIABLE, (_m, name: string) => {
    const v = variableValue(name, context);
    if (v === undefined) missing = true;
    return v ?? "";
  });
  return missing ? null : out;
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const globBody = (s: string) => escapeRegex(s).replace(/\\\*/g, ".*").replace(/\\\?/g, ".");

const globCache = new Map<string, RegExp>();

/**
 * Whether `value` matches a policy pattern with * and ? wildcards. Policy variables are replaced by
 * their values taken literally: a `*` inside a user name or a tag value is not a wildcard.
 */
export function matchPattern(pattern: string, value: string, caseInsensitive: boolean, context: ContextValues): boolean {
  const flags = caseInsensitive ? "is" : "s";
  if (!pattern.includes("${")) {
    const key = flags + pattern;
    let re = globCache.get(key);
    if (!re) {
      re = new RegExp(`^${globBody(pattern)}$`, flags);
      if (globCache.size > 10000) globCache.clear();
      globCache.set(key, re);
    }
    return re.test(value);
  }
  let body = "";
  let last = 0;
  for (const m of pattern.matchAll(VARIABLE)) {
    const v = variableValue(m[1], context);
    if (v === undefined) return false;
    body += globBody(pattern.slice(last, m.index)) + escapeRegex(v);
    last = (m.index ?? 0) + m[0].length;
  }
  body += globBody(pattern.slice(last));
  return new RegExp(`^${body}$`, flags).test(value);
}

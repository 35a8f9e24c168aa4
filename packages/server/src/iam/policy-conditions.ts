import { ipInCidr } from "./ip.js";
import { type ContextValues, matchPattern, substituteVariables } from "./policy-match.js";

/**
 * The Condition operators: String*, Arn*, Bool, Numeric*, Date*, IpAddress / NotIpAddress and
 * Null, their ...IfExists forms and the ForAnyValue: / ForAllValues: set qualifiers.
 */
type Comparator = (actual: string, expected: string, context: ContextValues) => boolean;

/** Dates in policies and in the context: ISO-8601 or epoch seconds (aws:EpochTime). */
function time(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text) * 1000 : Date.parse(text);
}

function num(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

const equalsVar: Comparator = (a, e, c) => a === substituteVariables(e, c);
const equalsIgnoreCase: Comparator = (a, e, c) => a.toLowerCase() === substituteVariables(e, c)?.toLowerCase();
const like: Comparator = (a, e, c) => matchPattern(e, a, false, c);
/** ArnEquals and ArnLike both compare case-sensitively, with * and ? wildcards. */
const arnMatch: Comparator = (a, e, c) => matchPattern(e, a, false, c);

export const comparators: Record<string, { cmp: Comparator; negated: boolean }> = {
  stringequals: { cmp: equalsVar, negated: false },
  stringnotequals: { cmp: equalsVar, negated: true },
  stringequalsignorecase: { cmp: equalsIgnoreCase, negated: false },
  stringnotequalsignorecase: { cmp: equalsIgnoreCase, negated: true },
  stringlike: { cmp: like, negated: false },
  stringnotlike: { cmp: like, negated: true },
  arnequals: { cmp: arnMatch, negated: false },
  arnnotequals: { cmp: arnMatch, negated: true },
  arnlike: { cmp: arnMatch, negated: false },
  arnnotlike: { cmp: arnMatch, negated: true },
  bool: { cmp: (a, e) => a.toLowerCase() === e.toLowerCase(), negated: false },
  numericequals: { cmp: (a, e) => num(a) === num(e), negated: false },
  numericnotequals: { cmp: (a, e) => num(a) === num(e), negated: true },
  numericlessthan: { cmp: (a, e) => num(a) < num(e), negated: false },
  numericlessthanequals: { cmp: (a, e) => num(a) <= num(e), negated: false },
  numericgreaterthan: { cmp: (a, e) => num(a) > num(e), negated: false },
  numericgreaterthanequals: { cmp: (a, e) => num(a) >= num(e), negated: false },
  dateequals: { cmp: (a, e) => time(a) === time(e), negated: false },
  datenotequals: { cmp: (a, e) => time(a) === time(e), negated: true },
  datelessthan: { cmp: (a, e) => time(a) < time(e), negated: false },
  datelessthanequals: { cmp: (a, e) => time(a) <= time(e), negated: false },
  dategreaterthan: { cmp: (a, e) => time(a) > time(e), negated: false },
  dategreaterthanequals: { cmp: (a, e) => time(a) >= time(e), negated: false },
  ipaddress: { cmp: (a, e) => ipInCidr(a, e), negated: false },
  notipaddress: { cmp: (a, e) => ipInCidr(a, e), negated: true },
};

/** Splits `ForAnyValue:StringLikeIfExists` into its qualifier, operator and IfExists flag. */
export function parseOperator(name: string): { qualifier: "any" | "all" | null; op: string; ifExists: boolean } {
  let op = name.toLowerCase();
  let qualifier: "any" | "all" | null = null;
  if (op.startsWith("foranyvalue:")) {
    qualifier = "any";
    op = op.slice("foranyvalue:".length);
  } else if (op.startsWith("forallvalues:")) {
    qualifier = "all";
    op = op.slice("forallvalues:".length);
  }
  const ifExists = op !== "null" && op.endsWith("ifexists");
  if (ifExists) op = op.slice(0, -"ifexists".length);
  return { qualifier, op, ifExists };
}

export function isKnownOperator(name: string): boolean {
  const { op } = parseOperator(name);
  return op === "null" || op in comparators;
}

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Whether one operator's block holds: every key must hold (AND), any of a key's values may match (OR). */
export function conditionHolds(operatorName: string, block: Record<string, unknown>, context: ContextValues): boolean {
  const { qualifier, op, ifExists } = parseOperator(operatorName);
  for (const [rawKey, rawExpected] of Object.entries(block)) {
    const key = rawKey.toLowerCase();
    const expected = list(rawExpected as string | string[]).map(String);
    const actualRaw = context[key];
    const missing = actualRaw === undefined || (Array.isArray(actualRaw) && actualRaw.length === 0);
    if (op === "null") {
      if (expected.some((e) => (e.toLowerCase() === "true") !== missing)) return false;
      continue;
    }
    // Unknown operators never hold: an Allow with one grants nothing (policyProblem refuses them up front).
    const entry = Object.hasOwn(comparators, op) ? comparators[op] : undefined;
    if (!entry) return false;
    if (missing) {
      if (ifExists) continue;
      if (qualifier === "all") continue; // ForAllValues over an empty set is true
      // A missing key matches nothing: a negated operator holds, a positive one fails.
      if (entry.negated && qualifier === null) continue;
      return false;
    }
    const actuals = list(actualRaw);
    const matchOne = (a: string) => expected.some((e) => entry.cmp(a, e, context));
    let holds: boolean;
    if (qualifier === "all") holds = actuals.every((a) => (entry.negated ? !matchOne(a) : matchOne(a)));
    else if (qualifier === "any") holds = actuals.some((a) => (entry.negated ? !matchOne(a) : matchOne(a)));
    else holds = entry.negated ? !actuals.some(matchOne) : actuals.some(matchOne);
    if (!holds) return false;
  }
  return true;
}

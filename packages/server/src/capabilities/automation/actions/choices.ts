/**
 * aws:branch choices (and aws:loop's LoopCondition): a Variable compared with one operator, or
 * And / Or / Not over nested conditions. Values arrive already resolved.
 */

export const CHOICE_OPERATORS = [
  "StringEquals",
  "EqualsIgnoreCase",
  "StartsWith",
  "EndsWith",
  "Contains",
  "NumericEquals",
  "NumericGreater",
  "NumericLesser",
  "NumericGreaterOrEquals",
  "NumericLesserOrEquals",
  "BooleanEquals",
] as const;

const text = (v: unknown) => (typeof v === "string" ? v : typeof v === "object" && v !== null ? JSON.stringify(v) : String(v));
const num = (v: unknown) => (typeof v === "number" ? v : Number(v));
const bool = (v: unknown) => (typeof v === "boolean" ? v : String(v).toLowerCase() === "true");

export class ChoiceError extends Error {}

export function evaluateCondition(cond: Record<string, unknown>): boolean {
  if (Array.isArray(cond.And)) return cond.And.every((c) => evaluateCondition(c as Record<string, unknown>));
  if (Array.isArray(cond.Or)) return cond.Or.some((c) => evaluateCondition(c as Record<string, unknown>));
  if (cond.Not !== undefined && cond.Not !== null && typeof cond.Not === "object") return !evaluateCondition(cond.Not as Record<string, unknown>);
  const op = CHOICE_OPERATORS.find((o) => Object.hasOwn(cond, o));
  if (!op) throw new ChoiceError(`A choice needs a Variable and one operator (${CHOICE_OPERATORS.join(", ")}) or And / Or / Not.`);
  const v = cond.Variable;
  const want = cond[op];
  switch (op) {
    case "StringEquals":
      return Array.isArray(v) ? v.map(text).includes(text(want)) : text(v) === text(want);
    case "EqualsIgnoreCase":
      return text(v).toLowerCase() === text(want).toLowerCase();
    case "StartsWith":
      return text(v).startsWith(text(want));
    case "EndsWith":
      return text(v).endsWith(text(want));
    case "Contains":
      return Array.isArray(v) ? v.map(text).includes(text(want)) : text(v).includes(text(want));
    case "NumericEquals":
      return num(v) === num(want);
    case "NumericGreater":
      return num(v) > num(want);
    case "NumericLesser":
      return num(v) < num(want);
    case "NumericGreaterOrEquals":
      return num(v) >= num(want);
    case "NumericLesserOrEquals":
      return num(v) <= num(want);
    case "BooleanEquals":
      return bool(v) === bool(want);
  }
}

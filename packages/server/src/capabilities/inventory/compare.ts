/**
 * How inventory values compare: numbers as numbers, everything else as versions (digit runs compare
 * numerically, other runs as text), so "1.0.2k" < "1.1.1" and "9" < "10".
 */
export function compareValues(a: string, b: string): number {
  const num = /^-?\d+(\.\d+)?$/;
  if (num.test(a) && num.test(b)) return Number(a) - Number(b);
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

export type Operator = "Equal" | "NotEqual" | "BeginWith" | "LessThan" | "GreaterThan" | "Exists";

/** Whether one attribute value satisfies a filter (Values are alternatives; NotEqual: none of them). */
export function satisfies(value: string | undefined, op: Operator, values: string[]): boolean {
  switch (op) {
    case "Exists":
      return value !== undefined && value !== "";
    case "NotEqual":
      return values.every((v) => value !== v);
    case "Equal":
      return value !== undefined && values.includes(value);
    case "BeginWith":
      return value !== undefined && values.some((v) => value.startsWith(v));
    case "LessThan":
      return value !== undefined && value !== "" && values.some((v) => compareValues(value, v) < 0);
    case "GreaterThan":
      return value !== undefined && value !== "" && values.some((v) => compareValues(value, v) > 0);
  }
}

import type { ServiceModel, Shape } from "./model.js";

/**
 * One generic validator over a service model, in the order AWS's JSON services apply:
 * first types (a wrong JSON type is a SerializationException), then constraints
 * (required, length, range, pattern, enum), collected into one ValidationException message.
 */
export type ValidationResult = { ok: true } | { ok: false; error: "SerializationException" | "ValidationException"; message: string };

const patternCache = new Map<string, RegExp | null>();

function compilePattern(pattern: string): RegExp | null {
  let re = patternCache.get(pattern);
  if (re !== undefined) return re;
  // Java's leading (?i) (case-insensitive, as in AccountId's "(?i)all|[0-9]{12}") is JavaScript's i flag.
  const insensitive = pattern.startsWith("(?i)");
  const body = insensitive ? pattern.slice(4) : pattern;
  const flags = insensitive ? "i" : "";
  try {
    re = new RegExp(`^(?:${body})$`, `su${flags}`);
  } catch {
    try {
      re = new RegExp(`^(?:${body})$`, `s${flags}`);
    } catch {
      re = null; // a Java-only construct; the handler's own checks still apply
    }
  }
  patternCache.set(pattern, re);
  return re;
}

class SerializationError extends Error {}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function describeValue(value: unknown, shape: Shape): string {
  if (shape.sensitive) return "Value at";
  if (value === null || value === undefined) return "Value null at";
  if (typeof value === "string") return `Value '${value}' at`;
  if (Array.isArray(value)) return `Value '[${value.map((v) => (typeof v === "object" ? JSON.stringify(v) : String(v))).join(", ")}]' at`;
  if (typeof value === "object") return `Value '${JSON.stringify(value)}' at`;
  return `Value '${String(value)}' at`;
}

function jsonTypeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** What the caller knows of the input as sent. */
export interface ValidateOptions {
  /**
   * No string in the input can hold U+0000 (the JSON text has no `\u0000` escape, the only way JSON
   * carries one): the per-string NUL check is skipped.
   */
  noNul?: boolean;
}

/** Whether strings are checked for U+0000 in the validation running now (validation is synchronous). */
let checkNul = true;

export function validateInput(model: ServiceModel, operation: string, input: unknown, options: ValidateOptions = {}): ValidationResult {
  const op = model.operations[operation];
  if (!op) return { ok: false, error: "ValidationException", message: `Unknown operation ${operation}` };
  if (!op.input) return { ok: true };
  const shape = model.shapes[op.input];
  if (!shape) return { ok: true };
  const problems: string[] = [];
  try {
    if (input === null || input === undefined) input = {};
    if (typeof input !== "object" || Array.isArray(input)) {
      throw new SerializationError(`Expected a JSON object as the request body, got ${jsonTypeName(input)}`);
    }
    checkNul = options.noNul !== true;
    walk(model, shape, input, "", problems, true);
  } catch (e) {
    if (e instanceof SerializationError) return { ok: false, error: "SerializationException", message: e.message };
    throw e;
  } finally {
    checkNul = true;
  }
  if (problems.length === 0) return { ok: true };
  const head = problems.length === 1 ? "1 validation error detected: " : `${problems.length} validation errors detected: `;
  return { ok: false, error: "ValidationException", message: head + problems.join("; ") };
}

function walk(model: ServiceModel, shape: Shape, value: unknown, path: string, problems: string[], top = false): void {
  if (value === null || value === undefined) return;
  const where = path || "input";
  switch (shape.type) {
    case "structure": {
      if (typeof value !== "object" || Array.isArray(value)) {
        throw new SerializationError(`Expected an object at '${where}', got ${jsonTypeName(value)}`);
      }
      const obj = value as Record<string, unknown>;
      const members = shape.members ?? {};
      for (const [name, ref] of Object.entries(members)) {
        const child = model.shapes[ref.shape];
        if (!child) continue;
        const childPath = path ? `${path}.${lowerFirst(name)}` : lowerFirst(name);
        walk(model, child, obj[name], childPath, problems);
      }
      for (const name of shape.required ?? []) {
        if (obj[name] === null || obj[name] === undefined) {
          const childPath = path ? `${path}.${lowerFirst(name)}` : lowerFirst(name);
          problems.push(`Value null at '${childPath}' failed to satisfy constraint: Member must not be null`);
        }
      }
      void top;
      return;
    }
    case "list": {
      if (!Array.isArray(value)) throw new SerializationError(`Expected a list at '${where}', got ${jsonTypeName(value)}`);
      const member = shape.member ? model.shapes[shape.member.shape] : undefined;
      const scalar = member !== undefined && member.type !== "structure" && member.type !== "list" && member.type !== "map";
      let memberFailed = false;
      value.forEach((item, i) => {
        const itemPath = `${path}.${i + 1}.member`;
        if (item === null || item === undefined) problems.push(`Value null at '${itemPath}' failed to satisfy constraint: Member must not be null`);
        else if (member && !scalar) walk(model, member, item, itemPath, problems);
        else if (member) {
          // A list of scalars: AWS names the list once and every constraint of its members (below).
          const own: string[] = [];
          walk(model, member, item, itemPath, own);
          for (const p of own) {
            if (p.includes("Member must not contain the NUL character")) problems.push(p);
            else memberFailed = true;
          }
        }
      });
      if (memberFailed && member) {
        problems.push(
          `${describeValue(value, shape)} '${path}' failed to satisfy constraint: Member must satisfy constraint: [${memberConstraints(member).join(", ")}]`,
        );
      }
      checkLength(shape, value, value.length, path, problems);
      return;
    }
    case "map": {
      if (typeof value !== "object" || Array.isArray(value)) {
        throw new SerializationError(`Expected a map at '${where}', got ${jsonTypeName(value)}`);
      }
      const keyShape = shape.key ? model.shapes[shape.key.shape] : undefined;
      const valShape = shape.value ? model.shapes[shape.value.shape] : undefined;
      // Every entry shares the two paths (built once: a PutInventory carries thousands of map entries).
      const keyPath = `${path}.key`;
      const valuePath = `${path}.value`;
      const map = value as Record<string, unknown>;
      // Maps of plain strings (Inventory's entries: thousands a request) take a quick look per entry first.
      const quick = plainString(keyShape) && plainString(valShape);
      let count = 0;
      for (const k in map) {
        if (!Object.hasOwn(map, k)) continue;
        count++;
        const v = map[k];
        if (quick && typeof v === "string" && plainStringFits(keyShape as Shape, k) && plainStringFits(valShape as Shape, v)) continue;
        if (keyShape) walk(model, keyShape, k, keyPath, problems);
        if (v === null || v === undefined) problems.push(`Value null at '${valuePath}' failed to satisfy constraint: Member must not be null`);
        else if (valShape) walk(model, valShape, v, valuePath, problems);
      }
      checkLength(shape, value, count, path, problems);
      return;
    }
    case "string": {
      if (typeof value !== "string") throw new SerializationError(`Expected a string at '${where}', got ${jsonTypeName(value)}`);
      // Lengths count code points; UTF-16 units bound them (units / 2 <= points <= units), so most strings need no count.
      const units = value.length;
      const surely = (shape.max === undefined || units <= shape.max) && (shape.min === undefined || units / 2 >= shape.min);
      if (!surely) checkLength(shape, value, [...value].length, path, problems);
      if (shape.enum && !shape.enum.includes(value)) {
        problems.push(`${describeValue(value, shape)} '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${shape.enum.join(", ")}]`);
      }
      const re = shape.pattern ? compilePattern(shape.pattern) : null;
      if (re && !re.test(value)) {
        problems.push(
          `${describeValue(value, shape)} '${path}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${shape.pattern}`,
        );
      } else if (checkNul && !shape.sensitive && value.includes("\u0000")) {
        // Not an AWS constraint: PostgreSQL cannot store U+0000 in text, so both engines refuse it alike
        // (sensitive values are stored encrypted, as bytes, and may hold it).
        problems.push(`Value at '${path}' failed to satisfy constraint: Member must not contain the NUL character (U+0000)`);
      }
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") throw new SerializationError(`Expected a boolean at '${where}', got ${jsonTypeName(value)}`);
      return;
    case "integer":
    case "long": {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        throw new SerializationError(`Expected an integer at '${where}', got ${jsonTypeName(value)}${typeof value === "number" ? " with a fraction" : ""}`);
      }
      const limit = shape.type === "integer" ? 2 ** 31 : Number.MAX_SAFE_INTEGER;
      if (value >= limit || value < -limit)
        throw new SerializationError(`The number at '${where}' is out of range for ${shape.type === "integer" ? "a 32-bit" : "a 64-bit"} integer`);
      checkRange(shape, value, path, problems);
      return;
    }
    case "double":
    case "float":
      if (typeof value !== "number") throw new SerializationError(`Expected a number at '${where}', got ${jsonTypeName(value)}`);
      checkRange(shape, value, path, problems);
      return;
    case "timestamp":
      if (typeof value !== "number" && !(typeof value === "string" && !Number.isNaN(Date.parse(value)))) {
        throw new SerializationError(`Expected a timestamp (epoch seconds) at '${where}', got ${jsonTypeName(value)}`);
      }
      return;
    case "blob":
      if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
        throw new SerializationError(`Expected base64-encoded binary data at '${where}'`);
      }
      checkLength(shape, value, Buffer.from(value, "base64").length, path, problems);
      return;
    default:
      return;
  }
}

/** A string shape with no constraint but its length. */
function plainString(shape: Shape | undefined): boolean {
  return shape !== undefined && shape.type === "string" && !shape.enum && !shape.pattern;
}

/** Whether a string surely meets a plain string shape (false: look closer). */
function plainStringFits(shape: Shape, value: string): boolean {
  const units = value.length;
  if (shape.max !== undefined && units > shape.max) return false;
  if (shape.min !== undefined && units / 2 < shape.min) return false;
  return !(checkNul && !shape.sensitive && value.includes("\u0000"));
}

/**
 * Every constraint of a list's member shape, as AWS lists them when a member breaks one:
 * `Value '[a, b]' at 'labels' failed to satisfy constraint: Member must satisfy constraint: [...]`.
 */
function memberConstraints(member: Shape): string[] {
  const out: string[] = [];
  const numeric = member.type !== "string" && member.type !== "blob";
  if (member.max !== undefined) out.push(`Member must have ${numeric ? "value" : "length"} less than or equal to ${member.max}`);
  if (member.min !== undefined) out.push(`Member must have ${numeric ? "value" : "length"} greater than or equal to ${member.min}`);
  if (member.pattern) out.push(`Member must satisfy regular expression pattern: ${member.pattern}`);
  if (member.enum) out.push(`Member must satisfy enum value set: [${member.enum.join(", ")}]`);
  return out;
}

function checkLength(shape: Shape, value: unknown, length: number, path: string, problems: string[]): void {
  if (shape.min !== undefined && length < shape.min) {
    problems.push(`${describeValue(value, shape)} '${path}' failed to satisfy constraint: Member must have length greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && length > shape.max) {
    problems.push(`${describeValue(value, shape)} '${path}' failed to satisfy constraint: Member must have length less than or equal to ${shape.max}`);
  }
}

function checkRange(shape: Shape, value: number, path: string, problems: string[]): void {
  if (shape.min !== undefined && value < shape.min) {
    problems.push(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && value > shape.max) {
    problems.push(`Value '${value}' at '${path}' failed to satisfy constraint: Member must have value less than or equal to ${shape.max}`);
  }
}

/** Deep copy of an input with every value of a sensitive shape replaced by "***" (for audit logs). */
export function redactInput(model: ServiceModel, operation: string, input: unknown): unknown {
  const op = model.operations[operation];
  const shape = op?.input ? model.shapes[op.input] : undefined;
  if (!shape) return input;
  return redact(model, shape, input);
}

/** Sets a key as an own property, so a "__proto__" member in a request stays data. */
function setOwn(o: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

/** Whether a shape holds a sensitive value anywhere below it (a subtree without one is kept as it is, not copied). */
const sensitiveBelow = new Map<Shape, boolean>();

function holdsSensitive(model: ServiceModel, shape: Shape): boolean {
  let known = sensitiveBelow.get(shape);
  if (known === undefined) {
    // A full walk of what the shape reaches (the answer for the root is exact, cycles included).
    const seen = new Set<Shape>();
    const visit = (s: Shape): boolean => {
      if (s.sensitive) return true;
      if (seen.has(s)) return false;
      seen.add(s);
      const refs = [...Object.values(s.members ?? {}), s.member, s.key, s.value];
      return refs.some((r) => {
        const child = r ? model.shapes[r.shape] : undefined;
        return child !== undefined && visit(child);
      });
    };
    known = visit(shape);
    sensitiveBelow.set(shape, known);
  }
  return known;
}

function redact(model: ServiceModel, shape: Shape, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (shape.sensitive) return "***";
  if ((shape.type === "list" || shape.type === "map" || shape.type === "structure") && !holdsSensitive(model, shape)) return value;
  if (shape.type === "structure" && typeof value === "object" && !Array.isArray(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const ref = shape.members?.[k];
      const child = ref ? model.shapes[ref.shape] : undefined;
      setOwn(out, k, child ? redact(model, child, v) : v);
    }
    return out;
  }
  if (shape.type === "list" && Array.isArray(value)) {
    const member = shape.member ? model.shapes[shape.member.shape] : undefined;
    return member ? value.map((v) => redact(model, member, v)) : value;
  }
  if (shape.type === "map" && typeof value === "object" && !Array.isArray(value)) {
    const valShape = shape.value ? model.shapes[shape.value.shape] : undefined;
    if (!valShape) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) setOwn(out, k, redact(model, valShape, v));
    return out;
  }
  return value;
}

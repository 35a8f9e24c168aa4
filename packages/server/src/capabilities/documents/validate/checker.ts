import { ApiError } from "../../../errors.js";
import { lineOfPath, type Path, pathText } from "../content.js";
import type { DocumentFormat } from "../types.js";

/** Raises InvalidDocumentContent naming the field (and its line) that is wrong, and offers small type checks. */
export class Checker {
  constructor(
    readonly raw: string,
    readonly format: DocumentFormat,
    readonly documentType: string,
  ) {}

  fail(path: Path, message: string): never {
    const line = lineOfPath(this.raw, this.format, path);
    const where = `${pathText(path)}${line ? ` (line ${line})` : ""}`;
    throw new ApiError("InvalidDocumentContent", `${where}: ${message}`);
  }

  object(v: unknown, path: Path, what = "an object"): Record<string, any> {
    if (v === null || typeof v !== "object" || Array.isArray(v)) this.fail(path, `must be ${what}, not ${describe(v)}.`);
    return v as Record<string, any>;
  }

  optionalObject(v: unknown, path: Path): Record<string, any> | undefined {
    return v === undefined ? undefined : this.object(v, path);
  }

  array(v: unknown, path: Path, what = "a list"): unknown[] {
    if (!Array.isArray(v)) this.fail(path, `must be ${what}, not ${describe(v)}.`);
    return v;
  }

  string(v: unknown, path: Path, what = "a string"): string {
    if (typeof v !== "string") this.fail(path, `must be ${what}, not ${describe(v)}.`);
    return v;
  }

  optionalString(v: unknown, path: Path): string | undefined {
    return v === undefined ? undefined : this.string(v, path);
  }

  /** A boolean, or a "{{ parameter }}" reference that supplies one at run time. */
  booleanish(v: unknown, path: Path): void {
    if (v === undefined || typeof v === "boolean" || isReference(v) || v === "true" || v === "false") return;
    this.fail(path, `must be true or false, not ${describe(v)}.`);
  }

  /** A whole number (or its digits as a string, or a "{{ parameter }}" reference). */
  integerish(v: unknown, path: Path, min = 0): void {
    if (v === undefined || isReference(v)) return;
    const n = typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min)
      this.fail(path, `must be a whole number${min > 0 ? ` of at least ${min}` : ""}, not ${describe(v)}.`);
  }

  /** The value is one of `allowed`, unless it is a "{{ parameter }}" reference resolved at run time. */
  oneOf(v: unknown, allowed: readonly string[], path: Path): void {
    if (isReference(v)) return;
    if (typeof v !== "string" || !allowed.includes(v)) this.fail(path, `must be one of ${allowed.join(", ")}, not ${describe(v)}.`);
  }

  /** Inputs a plugin or action cannot do without. */
  required(inputs: Record<string, any>, names: string[], path: Path, owner: string): void {
    for (const n of names) {
      const alternatives = n.split("|");
      if (!alternatives.some((a) => inputs[a] !== undefined && inputs[a] !== null && inputs[a] !== "")) {
        this.fail(path, `${owner} needs the input ${alternatives.join(" or ")}.`);
      }
    }
  }
}

/** A string that is exactly one "{{ ... }}" reference (a parameter, {{ssm:...}}, an automation output). */
export function isReference(v: unknown): boolean {
  return typeof v === "string" && /^\s*\{\{[^{}]+\}\}\s*$/.test(v);
}

export function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `'${v.length > 60 ? `${v.slice(0, 60)}...` : v}'`;
  return `${typeof v} ${String(v)}`;
}

/** Reads schemaVersion, accepting YAML's unquoted numbers (2.2, and 2 for "2.0"). */
export function schemaVersionOf(c: Checker, content: Record<string, any>): string {
  const v = content.schemaVersion;
  if (typeof v === "number") return Number.isInteger(v) ? `${v}.0` : String(v);
  if (v === undefined) c.fail(["schemaVersion"], `is required for ${c.documentType} documents.`);
  return c.string(v, ["schemaVersion"]);
}

export function unsupportedSchema(type: string, version: string, supported: string[]): ApiError {
  return new ApiError(
    "InvalidDocumentSchemaVersion",
    `schemaVersion ${version} is not supported for ${type} documents; use ${supported.length > 1 ? `one of ${supported.join(", ")}` : supported[0]}.`,
  );
}

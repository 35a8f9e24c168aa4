import type { Path } from "../content.js";
import { type DocumentParameterDeclaration, PARAMETER_TYPES } from "../types.js";
import { type Checker, describe, isReference } from "./checker.js";

/** Parameter names the agent substitutes: letters, digits and underscores. */
const NAME = /^[a-zA-Z0-9_]{1,255}$/;

/** Automation also takes AWS resource types, which behave as String (or StringList for List<...>). */
const AUTOMATION_RESOURCE_TYPE = /^(List<)?AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+(>)?$/;

/** The basic type a declared type behaves as (AWS::EC2::Instance::Id is a String, List<...> a StringList). */
export function baseType(type: string): DocumentParameterDeclaration["type"] {
  if ((PARAMETER_TYPES as readonly string[]).includes(type)) return type as DocumentParameterDeclaration["type"];
  return type.startsWith("List<") ? "StringList" : "String";
}

/** Whether a value has the shape of a type (a "{{ssm:...}}" reference stands for any value). */
export function fitsType(type: DocumentParameterDeclaration["type"], v: unknown): boolean {
  if (isReference(v)) return true;
  switch (type) {
    case "String":
      return typeof v === "string";
    case "StringList":
      return Array.isArray(v) && v.every((x) => typeof x === "string");
    case "Integer":
      return (typeof v === "number" && Number.isInteger(v)) || (typeof v === "string" && /^-?\d+$/.test(v));
    case "Boolean":
      return typeof v === "boolean" || v === "true" || v === "false";
    case "StringMap":
      return v !== null && typeof v === "object" && !Array.isArray(v);
    case "MapList":
      return Array.isArray(v) && v.every((x) => x !== null && typeof x === "object" && !Array.isArray(x));
  }
}

function count(c: Checker, v: unknown, path: Path): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) c.fail(path, `must be a whole number of at least 0, not ${describe(v)}.`);
  return v;
}

/** Checks a document's `parameters` block and returns the declarations. */
export function validateParametersBlock(c: Checker, block: unknown, opts: { automation?: boolean } = {}): Record<string, DocumentParameterDeclaration> {
  if (block === undefined || block === null) return {};
  const params = c.object(block, ["parameters"], "an object of parameter declarations");
  const out: Record<string, DocumentParameterDeclaration> = {};
  for (const [name, raw] of Object.entries(params)) {
    const path: Path = ["parameters", name];
    if (!NAME.test(name)) c.fail(path, "parameter names may contain only letters, digits and underscores.");
    const d = c.object(raw, path, "a parameter declaration object (type, description, default, ...)");
    const type = d.type;
    const known = (PARAMETER_TYPES as readonly string[]).includes(type) || (opts.automation && typeof type === "string" && AUTOMATION_RESOURCE_TYPE.test(type));
    if (!known)
      c.fail(
        [...path, "type"],
        `must be one of ${PARAMETER_TYPES.join(", ")}${opts.automation ? " (or an AWS resource type such as AWS::EC2::Instance::Id)" : ""}, not ${describe(type)}.`,
      );
    const base = baseType(type);
    const decl: DocumentParameterDeclaration = { type };
    if (d.description !== undefined) decl.description = c.string(d.description, [...path, "description"]);
    if (d.displayType !== undefined) {
      c.oneOf(d.displayType, ["textarea", "textfield"], [...path, "displayType"]);
      decl.displayType = d.displayType;
    }
    if (d.allowedPattern !== undefined) {
      const pattern = c.string(d.allowedPattern, [...path, "allowedPattern"]);
      try {
        new RegExp(pattern);
      } catch (e) {
        c.fail([...path, "allowedPattern"], `is not a valid regular expression: ${(e as Error).message}.`);
      }
      if (base !== "String" && base !== "StringList" && base !== "Integer")
        c.fail([...path, "allowedPattern"], `applies to String, StringList and Integer parameters, not ${type}.`);
      decl.allowedPattern = pattern;
    }
    if (d.allowedValues !== undefined) {
      const values = c.array(d.allowedValues, [...path, "allowedValues"]);
      if (values.length === 0) c.fail([...path, "allowedValues"], "must list at least one value.");
      const itemType = base === "StringList" ? "String" : base === "MapList" ? "StringMap" : base;
      values.forEach((v, i) => {
        if (!fitsType(itemType, v)) c.fail([...path, "allowedValues", i], `must be a ${itemType} value for a ${type} parameter, not ${describe(v)}.`);
      });
      decl.allowedValues = values;
    }
    const minItems = count(c, d.minItems, [...path, "minItems"]);
    const maxItems = count(c, d.maxItems, [...path, "maxItems"]);
    const minChars = count(c, d.minChars, [...path, "minChars"]);
    const maxChars = count(c, d.maxChars, [...path, "maxChars"]);
    if ((minItems !== undefined || maxItems !== undefined) && base !== "StringList" && base !== "MapList") {
      c.fail([...path, minItems !== undefined ? "minItems" : "maxItems"], `applies to StringList and MapList parameters, not ${type}.`);
    }
    if ((minChars !== undefined || maxChars !== undefined) && base !== "String" && base !== "StringList") {
      c.fail([...path, minChars !== undefined ? "minChars" : "maxChars"], `applies to String and StringList parameters, not ${type}.`);
    }
    if (minItems !== undefined && maxItems !== undefined && minItems > maxItems)
      c.fail([...path, "minItems"], `(${minItems}) is larger than maxItems (${maxItems}).`);
    if (minChars !== undefined && maxChars !== undefined && minChars > maxChars)
      c.fail([...path, "minChars"], `(${minChars}) is larger than maxChars (${maxChars}).`);
    Object.assign(
      decl,
      minItems !== undefined && { minItems },
      maxItems !== undefined && { maxItems },
      minChars !== undefined && { minChars },
      maxChars !== undefined && { maxChars },
    );
    if (d.default !== undefined) {
      if (!fitsType(base, d.default)) c.fail([...path, "default"], `must be a ${type} value, not ${describe(d.default)}.`);
      const problem = constraintProblem(decl, d.default);
      if (problem) c.fail([...path, "default"], problem);
      decl.default = d.default;
    }
    out[name] = decl;
  }
  return out;
}

/** Checks a value (a default, or a caller's value after resolution) against the declaration's constraints; returns what is wrong, or null. */
export function constraintProblem(decl: DocumentParameterDeclaration, v: unknown): string | null {
  if (isReference(v)) return null;
  const base = baseType(decl.type);
  const items: unknown[] = base === "StringList" || base === "MapList" ? (Array.isArray(v) ? v : [v]) : [v];
  if (decl.minItems !== undefined && items.length < decl.minItems) return `has ${items.length} items; at least ${decl.minItems} are required.`;
  if (decl.maxItems !== undefined && items.length > decl.maxItems) return `has ${items.length} items; at most ${decl.maxItems} are allowed.`;
  for (const item of items) {
    if (isReference(item)) continue;
    const text = typeof item === "string" ? item : typeof item === "number" || typeof item === "boolean" ? String(item) : JSON.stringify(item);
    if (decl.allowedValues && !decl.allowedValues.some((a) => (typeof a === "object" ? JSON.stringify(a) === text : String(a) === text))) {
      return `value '${text}' is not one of the allowed values: ${decl.allowedValues.map((a) => (typeof a === "object" ? JSON.stringify(a) : String(a))).join(", ")}.`;
    }
    if (decl.allowedPattern && !new RegExp(decl.allowedPattern).test(text)) {
      return `value '${text.length > 80 ? `${text.slice(0, 80)}...` : text}' does not match the allowed pattern ${decl.allowedPattern}.`;
    }
    if (typeof item === "string" && decl.minChars !== undefined && item.length < decl.minChars)
      return `value '${item}' is shorter than ${decl.minChars} characters.`;
    if (typeof item === "string" && decl.maxChars !== undefined && item.length > decl.maxChars)
      return `value is ${item.length} characters long; at most ${decl.maxChars} are allowed.`;
  }
  return null;
}

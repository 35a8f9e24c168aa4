import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { ApiError } from "../../../errors.js";
import type { DocumentFormat } from "../types.js";
import type { ValidatedContent } from "./result.js";

/**
 * Just-in-time node access approval policies (AutoApprovalPolicy: the auto-approval and the
 * deny-access policy) are Cedar policy text, stored as written (DocumentFormat TEXT). Only the
 * parse is checked here, by cedar-wasm; evaluation belongs to the access-requests capability.
 */
export const CEDAR_POLICY_TYPES = ["AutoApprovalPolicy"];

function invalid(message: string): ApiError {
  return new ApiError("InvalidDocumentContent", message);
}

/** Line and column (1-based) of a byte offset into the policy text: cedar-wasm reports UTF-8 byte offsets. */
export function lineAndColumn(raw: string, byteOffset: number): { line: number; column: number } {
  const before = Buffer.from(raw, "utf8").subarray(0, byteOffset).toString("utf8");
  const lines = before.split("\n");
  return { line: lines.length, column: lines[lines.length - 1].length + 1 };
}

/** A Cedar parse failure as one message: what is wrong, where (line, column) and what was expected there. */
function parseProblem(raw: string, errors: cedar.DetailedError[]): string {
  const first = errors[0];
  const at = first?.sourceLocations?.[0];
  const where = at ? lineAndColumn(raw, at.start) : undefined;
  const message = (first?.message ?? "it could not be parsed").replace(/^failed to parse policies from string: /, "");
  const expected = at?.label ? ` (${at.label})` : "";
  return `The Cedar policy does not parse${where ? ` at line ${where.line}, column ${where.column}` : ""}: ${message}${expected}.`;
}

/** The effects (permit / forbid) of each statement of a Cedar policy set, which must parse. */
function effectsOf(raw: string): string[] {
  const parts = cedar.policySetTextToParts(raw);
  if (parts.type !== "success") return [];
  return parts.policies.map((text) => (/^\s*(?:@[^\n]*\n\s*)*(permit|forbid)\b/.exec(text.replace(/^\s*\/\/[^\n]*\n/gm, ""))?.[1] ?? "").toLowerCase());
}

export function validateApprovalPolicy(type: string, format: DocumentFormat, raw: string): { content: Record<string, any>; validated: ValidatedContent } {
  if (format !== "TEXT") {
    throw invalid(`${type} documents are Cedar policy text; pass DocumentFormat TEXT (or leave it out), not ${format}.`);
  }
  const parsed = cedar.checkParsePolicySet({ staticPolicies: raw });
  if (parsed.type !== "success") throw invalid(parseProblem(raw, parsed.errors));
  const effects = effectsOf(raw);
  if (effects.length === 0) {
    throw invalid(`The ${type} document holds no Cedar statement; write at least one permit (auto-approval) or forbid (deny-access) statement.`);
  }
  if (effects.includes("permit") && effects.includes("forbid")) {
    throw invalid(
      "An approval policy is either an auto-approval policy (permit statements only) or a deny-access policy (forbid statements only); split the statements into two documents.",
    );
  }
  return { content: {}, validated: { schemaVersion: "1.0", parameters: {}, platformTypes: [] } };
}

import type { DocumentStep } from "./document-steps.js";

export interface PreconditionVerdict {
  allowed: boolean;
  /** Conditions not met or not understood, as amazon-ssm-agent words them. */
  problems: string[];
}

/**
 * Evaluates a 2.2 step's precondition the way amazon-ssm-agent does: `StringEquals` with exactly
 * two arguments, either `platformType` against a literal (case-insensitive) or two values at least
 * one of which comes from a document parameter.
 */
export function evaluatePrecondition(step: DocumentStep, platformType: string): PreconditionVerdict {
  let allowed = true;
  const problems: string[] = [];
  for (const [op, args] of Object.entries(step.precondition ?? {})) {
    if (op !== "StringEquals") {
      problems.push(`unrecognized operator: "${op}"`);
      continue;
    }
    if (args.length !== 2) {
      problems.push(`"${op}": operator accepts exactly 2 arguments`);
      continue;
    }
    const [a, b] = args;
    if (a.initial === b.initial) {
      problems.push(a.initial === "platformType" ? `"${op}": [${a.initial} ${b.initial}]` : `"${op}": operator's arguments can't be identical`);
    } else if (/\{\{\s*ssm(-secure)?:/.test(a.initial + b.initial)) {
      problems.push(`"${op}": operator's arguments can't contain SSM parameters`);
    } else if (a.initial === "platformType" || b.initial === "platformType") {
      const value = a.initial === "platformType" ? b : a;
      if (value.initial.toLowerCase() !== value.resolved.toLowerCase()) {
        problems.push(`"${op}": the second argument for the platformType variable can't contain document parameters`);
      } else if (platformType.toLowerCase() !== value.initial.toLowerCase()) {
        allowed = false;
        problems.push(`"${op}": [${a.initial}, ${b.initial}]`);
      }
    } else if (a.initial === a.resolved && b.initial === b.resolved) {
      problems.push(`"${op}": at least one of operator's arguments must contain a valid document parameter`);
    } else if (a.resolved !== b.resolved) {
      allowed = false;
      problems.push(`"${op}": [${a.initial}, ${b.initial}]`);
    }
  }
  return { allowed, problems };
}

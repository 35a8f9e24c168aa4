import { readFileSync } from "node:fs";
import { type PolicyDocument, policyProblem } from "../core.js";
import { usageError } from "../errors.js";

/**
 * Tags from `k=v` words or the AWS CLI's shorthand `Key=k,Value=v`. Keys: 1-128 characters,
 * values: 0-256, as IAM allows.
 */
export function parseTags(words: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const word of words) {
    const m = /^Key=([^,]*),Value=(.*)$/.exec(word) ?? /^([^=]+)=(.*)$/.exec(word);
    if (!m) throw usageError(`tag '${word}' is not in the form key=value (or Key=key,Value=value)`);
    const [key, value] = [m[1], m[2]];
    if (key.length < 1 || key.length > 128) throw usageError(`tag key '${key}' must have 1 to 128 characters`);
    if (value.length > 256) throw usageError(`the value of tag '${key}' must have at most 256 characters`);
    if (key.toLowerCase().startsWith("aws:")) throw usageError(`tag key '${key}' uses the reserved prefix aws:`);
    tags[key] = value;
  }
  return tags;
}

export function checkPolicyName(name: string): string {
  if (!/^[\w+=,.@-]{1,128}$/.test(name)) {
    throw usageError(`--policy-name '${name}' is invalid: use 1 to 128 letters, digits or the characters _+=,.@-`);
  }
  return name;
}

/** A policy document given as JSON text or file://path, checked with the server's own policy checker. */
export function readPolicyDocument(arg: string): PolicyDocument {
  let text = arg;
  if (arg.startsWith("file://")) {
    const path = arg.slice("file://".length);
    try {
      text = readFileSync(path, "utf8");
    } catch (e) {
      throw usageError(`cannot read the policy document ${path}: ${(e as Error).message}`);
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw usageError(`MalformedPolicyDocument: the policy document is not valid JSON: ${(e as Error).message}`);
  }
  const problem = policyProblem(doc);
  if (problem) throw usageError(`MalformedPolicyDocument: ${problem}`);
  if (Buffer.byteLength(JSON.stringify(doc)) > 10240) throw usageError("MalformedPolicyDocument: an inline policy may have at most 10240 characters");
  return doc as PolicyDocument;
}

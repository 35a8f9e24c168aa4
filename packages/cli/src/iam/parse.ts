import { readFileSync } from "node:fs";
import { type PolicyDocument, iamAdmin } from "../core.js";
import { usageError } from "../errors.js";
import { cliRule } from "./common.js";

/**
 * Tags from `k=v` words or the AWS CLI's shorthand `Key=k,Value=v`, checked as IAM checks them
 * (keys 1-128 characters, values 0-256, no aws: prefix, at most 50).
 */
export function parseTags(words: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const word of words) {
    const m = /^Key=([^,]*),Value=(.*)$/.exec(word) ?? /^([^=]+)=(.*)$/.exec(word);
    if (!m) throw usageError(`tag '${word}' is not in the form key=value (or Key=key,Value=value)`);
    tags[m[1]] = m[2];
  }
  return cliRule(() => iamAdmin.checkTags(tags));
}

/** A policy document given as JSON text or file://path, checked by the same rules as the admin API's PutUserPolicy. */
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
  return cliRule(() => iamAdmin.parsePolicyDocument(text));
}

import type { SendCommandPayload } from "@openssm/protocol";
import type { ResolvedDocument } from "../documents/index.js";

const DEFAULT_STEP_TIMEOUT_SECONDS = 3600;

/** Step (plugin) names in document order: mainSteps names (schema 2.x) or runtimeConfig plugins (1.x). */
export function pluginNames(doc: ResolvedDocument): string[] {
  const content = doc.content as { mainSteps?: { name?: unknown }[]; runtimeConfig?: Record<string, unknown> };
  if (Array.isArray(content.mainSteps)) return content.mainSteps.map((s, i) => (typeof s?.name === "string" && s.name ? s.name : `step${i + 1}`));
  if (content.runtimeConfig && typeof content.runtimeConfig === "object") return Object.keys(content.runtimeConfig);
  return [];
}

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Parameter values as the agent substitutes them: the documents capability resolves them typed
 * (String → string, StringList → string[], Integer → number, Boolean → boolean, StringMap → object,
 * MapList → object[]), which is what AWS puts in the payload; missing values become "".
 */
export function agentParameters(resolved: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(resolved)) out[name] = value === undefined || value === null ? "" : value;
  return out;
}

/** The document's execution timeout: its executionTimeout parameter, else an hour per step. */
export function executionTimeoutSeconds(doc: ResolvedDocument, resolved: Record<string, unknown>): number {
  const declared = doc.parameters.executionTimeout ? Number(first(resolved.executionTimeout)) : Number.NaN;
  if (Number.isFinite(declared) && declared > 0) return Math.ceil(declared);
  return DEFAULT_STEP_TIMEOUT_SECONDS * Math.max(1, pluginNames(doc).length);
}

/** What every node gets: the document content (the agent substitutes the parameters itself). */
export function buildSendCommandPayload(commandId: string, doc: ResolvedDocument, parameters: Record<string, unknown>): SendCommandPayload {
  return {
    CommandId: commandId,
    DocumentName: doc.name,
    DocumentContent: doc.content as SendCommandPayload["DocumentContent"],
    Parameters: parameters,
    // Output goes to this server; S3 and CloudWatch settings are recorded, not handed to the agent (it would call AWS).
    OutputS3BucketName: "",
    OutputS3KeyPrefix: "",
    CloudWatchLogGroupName: "",
    CloudWatchOutputEnabled: "false",
  };
}

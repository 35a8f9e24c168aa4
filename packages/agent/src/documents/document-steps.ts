import { normalizeParameters, type ParameterDeclaration, substituteParameters } from "./parameters.js";
import { compareVersions } from "@openssm/protocol";

/** One plugin run of a document: a 2.x step or a 1.x runtimeConfig entry. */
export interface DocumentStep {
  /** Key of the step in the reply's runtimeStatus: the step name (2.x) or the plugin name (1.x). */
  id: string;
  /** The plugin, e.g. aws:runShellScript. */
  action: string;
  /** Inputs (2.x) or properties (1.x, an object or a list of them) with parameters substituted. */
  inputs: unknown;
  /** Operator → arguments as written and as resolved (2.2 preconditions). */
  precondition?: Record<string, { initial: string; resolved: string }[]>;
}

export interface ParsedDocument {
  schemaVersion: string;
  /** Preconditions are honoured from schema 2.2 on; earlier schemas fail a step that has one. */
  preconditionsEnabled: boolean;
  steps: DocumentStep[];
}

export class DocumentError extends Error {}

/**
 * A document's content as SendCommand delivers it (an object) or GetDocument returns it (JSON or YAML
 * text). The YAML parser is loaded at the first YAML document: an idle agent does not hold it (about
 * 1 MiB of heap).
 */
export async function documentContent(raw: unknown): Promise<Record<string, unknown>> {
  if (typeof raw === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      const { parse: parseYaml } = await import("yaml");
      try {
        parsed = parseYaml(raw);
      } catch (e) {
        throw new DocumentError(`the document is neither JSON nor YAML: ${(e as Error).message}`);
      }
    }
    raw = parsed;
  }
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new DocumentError("the document content is not an object");
  return raw as Record<string, unknown>;
}

/** Splits a Command document into its steps, with parameters applied. */
export function parseDocument(content: Record<string, unknown>, given: Record<string, unknown> | undefined): ParsedDocument {
  const schemaVersion = String(content.schemaVersion ?? "");
  const declared = (content.parameters ?? {}) as Record<string, ParameterDeclaration>;
  const params = normalizeParameters(given, declared);
  const steps: DocumentStep[] = [];
  if (schemaVersion === "1.0" || schemaVersion === "1.2") {
    const runtimeConfig = content.runtimeConfig as Record<string, { properties?: unknown }> | undefined;
    if (!runtimeConfig || typeof runtimeConfig !== "object" || Object.keys(runtimeConfig).length === 0) {
      throw new DocumentError("Unsupported schema format: a schema 1.x document needs runtimeConfig");
    }
    for (const [plugin, config] of Object.entries(runtimeConfig)) {
      steps.push({ id: plugin, action: plugin, inputs: substituteParameters(config?.properties ?? {}, params) });
    }
    return { schemaVersion, preconditionsEnabled: false, steps };
  }
  if (/^2\.\d+(\.\d+)?$/.test(schemaVersion)) {
    const mainSteps = content.mainSteps as Record<string, unknown>[] | undefined;
    if (!Array.isArray(mainSteps) || mainSteps.length === 0) throw new DocumentError("Unsupported schema format: a schema 2.x document needs mainSteps");
    for (const s of mainSteps) {
      const step: DocumentStep = { id: String(s.name ?? s.action), action: String(s.action ?? ""), inputs: substituteParameters(s.inputs ?? {}, params) };
      if (s.precondition && typeof s.precondition === "object") {
        step.precondition = {};
        for (const [op, args] of Object.entries(s.precondition as Record<string, unknown>)) {
          const list = Array.isArray(args) ? args.map(String) : [String(args)];
          step.precondition[op] = list.map((a) => {
            const r = substituteParameters(a, params);
            return { initial: a, resolved: typeof r === "string" ? r : JSON.stringify(r) };
          });
        }
      }
      steps.push(step);
    }
    return { schemaVersion, preconditionsEnabled: compareVersions(schemaVersion, "2.2") >= 0, steps };
  }
  throw new DocumentError(`Unsupported document: schemaVersion '${schemaVersion}' (this agent runs Command documents of schema 1.2, 2.0 and 2.2)`);
}

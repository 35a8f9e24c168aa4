import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { documentContent } from "../documents/document-steps.js";
import type { Plugin, StepContext } from "./plugin.js";

/** amazon-ssm-agent stops aws:runDocument nesting at this depth. */
const MAX_DEPTH = 3;

function field(inputs: Record<string, unknown>, name: string): unknown {
  for (const [k, v] of Object.entries(inputs)) if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
}

function first(v: unknown): unknown {
  return Array.isArray(v) && v.length === 1 ? v[0] : v;
}

function parametersOf(v: unknown): Record<string, unknown> {
  v = first(v);
  if (typeof v === "string") {
    if (!v.trim()) return {};
    const parsed = JSON.parse(v) as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("documentParameters must be a JSON object");
    return parsed as Record<string, unknown>;
  }
  if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, unknown>;
  return {};
}

async function loadDocument(ctx: StepContext, type: string, path: string): Promise<Record<string, unknown>> {
  if (type === "LocalPath") {
    const file = isAbsolute(path) ? path : join(ctx.orchestrationDir, "..", "downloads", path);
    return await documentContent(readFileSync(file, "utf8"));
  }
  const colon = path.lastIndexOf(":");
  const versioned = !path.startsWith("arn:") && colon > 0 && /^\d+$/.test(path.slice(colon + 1));
  const input: Record<string, unknown> = versioned ? { Name: path.slice(0, colon), DocumentVersion: path.slice(colon + 1) } : { Name: path };
  const doc = await ctx.ssm<{ Content?: string; DocumentType?: string }>("GetDocument", input);
  if (doc.DocumentType && doc.DocumentType !== "Command")
    throw new Error(`document ${path} is a ${doc.DocumentType} document; aws:runDocument runs Command documents`);
  return await documentContent(doc.Content ?? "");
}

/** aws:runDocument: fetches an SSM document (GetDocument) or reads a local one, and runs its steps here. */
export const runDocument: Plugin = {
  name: "aws:runDocument",
  supported: () => true,

  async run(ctx) {
    if (ctx.isCancelled()) return { status: "Cancelled", code: 1 };
    const inputs = (ctx.step.inputs && typeof ctx.step.inputs === "object" ? ctx.step.inputs : {}) as Record<string, unknown>;
    const type = String(first(field(inputs, "documentType")) ?? "SSMDocument") || "SSMDocument";
    const path = String(first(field(inputs, "documentPath")) ?? "");
    if (ctx.depth + 1 > MAX_DEPTH) return { status: "Failed", code: 1, error: `aws:runDocument may nest at most ${MAX_DEPTH} documents` };
    if (!path) return { status: "Failed", code: 1, error: "aws:runDocument needs documentPath" };
    if (type !== "SSMDocument" && type !== "LocalPath")
      return { status: "Failed", code: 1, error: `documentType must be SSMDocument or LocalPath, got '${type}'` };
    let content: Record<string, unknown>;
    let params: Record<string, unknown>;
    try {
      params = parametersOf(field(inputs, "documentParameters"));
      content = await loadDocument(ctx, type, path);
    } catch (e) {
      const message = (e as Error).message;
      return { status: "Failed", code: 1, error: `aws:runDocument could not load ${path}: ${message}` };
    }
    return ctx.runNested(content, params, ctx.depth + 1);
  },
};

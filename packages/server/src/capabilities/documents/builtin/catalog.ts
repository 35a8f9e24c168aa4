import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PREFERENCES_DOCUMENT } from "../names.js";
import type { DocumentFormat } from "../types.js";
import { type ValidatedContent, validateDocumentContent } from "../validate/index.js";

/** One document of the built-in catalog: read-only, version 1, present in every account and region. */
export interface BuiltinDocument {
  name: string;
  documentType: string;
  format: DocumentFormat;
  raw: string;
  content: Record<string, any>;
  validated: ValidatedContent;
  hash: string;
  createdAt: number;
  /**
   * Owned by each account rather than by Amazon (SSM-SessionManagerRunShell, the Session Manager
   * preferences: AWS creates it in every account, and an account may replace it with its own).
   */
  perAccount: boolean;
}

/** The date the catalog's documents show as created. */
const CATALOG_DATE = Date.UTC(2024, 0, 1);
const FORMATS: Record<string, DocumentFormat> = { ".json": "JSON", ".yaml": "YAML", ".yml": "YAML" };

/** Reads builtin/<DocumentType>/<Name>.(json|yaml) and validates each with the validators user documents go through. */
function load(): Map<string, BuiltinDocument> {
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const out = new Map<string, BuiltinDocument>();
  for (const type of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
    for (const file of readdirSync(join(dir, type.name))) {
      const format = FORMATS[extname(file)];
      if (!format) continue;
      const name = file.slice(0, -extname(file).length);
      const raw = readFileSync(join(dir, type.name, file), "utf8");
      let parsed: ReturnType<typeof validateDocumentContent>;
      try {
        parsed = validateDocumentContent(type.name, format, raw);
      } catch (e) {
        throw new Error(`built-in document ${type.name}/${file} is invalid: ${(e as Error).message}`);
      }
      out.set(name, {
        name,
        documentType: type.name,
        format,
        raw,
        content: parsed.content,
        validated: parsed.validated,
        hash: createHash("sha256").update(raw).digest("hex"),
        createdAt: CATALOG_DATE,
        perAccount: name === PREFERENCES_DOCUMENT,
      });
    }
  }
  return out;
}

let catalog: Map<string, BuiltinDocument> | undefined;

/** The built-in catalog, loaded once. */
export function builtinCatalog(): Map<string, BuiltinDocument> {
  catalog ??= load();
  return catalog;
}

export function builtinDocument(name: string): BuiltinDocument | undefined {
  return builtinCatalog().get(name);
}

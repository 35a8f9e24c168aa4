import YAML, { isMap, isSeq, type Node } from "yaml";
import { ApiError } from "../../errors.js";
import type { DocumentFormat } from "./types.js";

/** The most content a document version may hold (AWS: 64 KB). */
export const MAX_CONTENT_BYTES = 64 * 1024;

export function checkContentSize(content: string): void {
  const size = Buffer.byteLength(content, "utf8");
  if (size > MAX_CONTENT_BYTES) {
    throw new ApiError(
      "MaxDocumentSizeExceeded",
      `The document content is ${size} bytes; a document version holds at most ${MAX_CONTENT_BYTES} bytes (64 KB). Split it into smaller documents (aws:runDocument can call one from another).`,
    );
  }
}

function lineOf(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

/**
 * Where JSON text stops being valid, from the parsers at hand: V8's message names the position for
 * most faults; where it does not ("Unexpected token"), the yaml parser's position of its first error.
 */
function jsonErrorAt(raw: string, message: string): { line: number; col: number; problem: string } | undefined {
  const problem = message.replace(/,? (\.\.\.)?".*" is not valid JSON$/s, "").replace(/ in JSON at position \d+.*$/s, "");
  const position = / at position (\d+)/.exec(message);
  if (position) return { ...lineOf(raw, Number(position[1])), problem };
  const pos = YAML.parseDocument(raw, { schema: "json" }).errors[0]?.linePos?.[0];
  return pos ? { line: pos.line, col: pos.col, problem } : undefined;
}

function invalid(message: string): ApiError {
  return new ApiError("InvalidDocumentContent", message);
}

/** Parses JSON or YAML content into an object; a syntax error names its line and column. TEXT content parses to {}. */
export function parseContent(raw: string, format: DocumentFormat): Record<string, any> {
  if (format === "TEXT") return {};
  let value: unknown;
  if (format === "JSON") {
    try {
      value = JSON.parse(raw);
    } catch (e) {
      const at = jsonErrorAt(raw, (e as Error).message);
      throw invalid(
        `The content is not valid JSON${at ? ` (line ${at.line}, column ${at.col}): ${at.problem}` : ""}. If it is YAML, pass DocumentFormat YAML.`,
      );
    }
  } else {
    const doc = YAML.parseDocument(raw, { prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length) {
      const err = doc.errors[0];
      const where = err.linePos?.[0];
      const text = err.message.split("\n")[0];
      throw invalid(`The content is not valid YAML${where ? ` (line ${where.line}, column ${where.col})` : ""}: ${text}`);
    }
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // The yaml library refuses alias expansions that would grow without bound (a "billion laughs" bomb).
      throw invalid(`The content is not valid YAML: ${(e as Error).message.split("\n")[0]}. Use fewer aliases (&anchor / *alias), or write the values out.`);
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalid(
      `The content must be a ${format} object (a mapping of keys such as schemaVersion and description); it is ${Array.isArray(value) ? "a list" : `a ${value === null ? "null" : typeof value}`}.`,
    );
  }
  return value as Record<string, any>;
}

export type Path = (string | number)[];

export function pathText(path: Path): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out ? `.${p}` : p;
  return out || "(document)";
}

/** The line a path of the content starts on (JSON is read as YAML, which it is a subset of), or undefined. */
export function lineOfPath(raw: string, format: DocumentFormat, path: Path): number | undefined {
  if (format === "TEXT" || path.length === 0) return undefined;
  try {
    const doc = YAML.parseDocument(raw);
    let node: unknown = doc.contents;
    let found: Node | undefined;
    for (const key of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
        if (!pair) break;
        found = (pair.key as Node) ?? found;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        found = (node as Node) ?? found;
      } else break;
    }
    const range = found?.range;
    return range ? lineOf(raw, range[0]).line : undefined;
  } catch {
    return undefined;
  }
}

/** The content in another format: JSON ⇄ YAML. TEXT content can only be read as TEXT; any content can be read as TEXT. */
export function convertContent(raw: string, stored: DocumentFormat, wanted: DocumentFormat | undefined, parsed: Record<string, any>, name: string): string {
  if (!wanted || wanted === stored || wanted === "TEXT") return raw;
  if (stored === "TEXT") {
    throw new ApiError(
      "ValidationException",
      `Document ${name} is stored as TEXT and can't be converted to ${wanted}. Ask for DocumentFormat TEXT, or leave DocumentFormat out.`,
    );
  }
  if (wanted === "YAML") return YAML.stringify(parsed, { lineWidth: 0 });
  return JSON.stringify(parsed, null, 2);
}

/** The parameter types a document's `parameters` block may declare. */
export const PARAMETER_TYPES = ["String", "StringList", "Integer", "Boolean", "MapList", "StringMap"] as const;
export type ParameterType = (typeof PARAMETER_TYPES)[number];

/** One entry of a document's `parameters` block, as the document declares it (validated at create time). */
export interface DocumentParameterDeclaration {
  type: ParameterType;
  description?: string;
  default?: unknown;
  allowedValues?: unknown[];
  allowedPattern?: string;
  displayType?: "textarea" | "textfield";
  minItems?: number;
  maxItems?: number;
  minChars?: number;
  maxChars?: number;
}

export type DocumentFormat = "JSON" | "YAML" | "TEXT";

/** One version of a document, parsed, as the capabilities that run documents need it. */
export interface ResolvedDocument {
  name: string;
  arn: string;
  /** Account id of the owner, or "Amazon" for the built-in catalog. */
  owner: string;
  documentType: string;
  schemaVersion: string;
  version: string;
  versionName?: string;
  /** Sha256 of the content as stored (hex). */
  hash: string;
  /** The content, parsed (for TEXT documents such as ChangeCalendar iCalendar, `{}`). */
  content: Record<string, any>;
  rawContent: string;
  format: DocumentFormat;
  parameters: Record<string, DocumentParameterDeclaration>;
  platformTypes: string[];
}

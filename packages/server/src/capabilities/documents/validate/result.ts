import type { DocumentParameterDeclaration } from "../types.js";

/** What validating a document's content yields, besides the parsed content itself. */
export interface ValidatedContent {
  schemaVersion: string;
  description?: string;
  parameters: Record<string, DocumentParameterDeclaration>;
  platformTypes: string[];
  /** Package documents: the manifest's version, which becomes the document's VersionName. */
  packageVersion?: string;
  /** Package documents: the files the manifest names, with their sha256. */
  files?: { name: string; sha256: string }[];
}

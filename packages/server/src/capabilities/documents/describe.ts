import type { DocumentParameterDeclaration } from "./types.js";
import type { VersionView } from "./access.js";

type Tag = { Key: string; Value: string };

/** DocumentParameter entries as DescribeDocument lists them (non-string defaults as JSON text). */
function parameterList(params: Record<string, DocumentParameterDeclaration>) {
  return Object.entries(params).map(([Name, d]) => ({
    Name,
    Type: d.type,
    Description: d.description,
    DefaultValue: d.default === undefined ? undefined : typeof d.default === "string" ? d.default : JSON.stringify(d.default),
  }));
}

/** How a document is named in answers to a caller: its name, or its ARN when another account owns it. */
export function displayName(view: VersionView, callerAccount: string): string {
  const h = view.handle;
  return h.kind === "shared" && h.owner !== callerAccount ? h.arn : h.name;
}

function attachmentsInformation(view: VersionView) {
  if (!view.attachments?.length) return undefined;
  return view.attachments.map((a) => ({ Name: a.Name ?? a.Values?.[0]?.split("/").filter(Boolean).pop() ?? "attachment" }));
}

/** DocumentDescription (CreateDocument, DescribeDocument, UpdateDocument). */
export function documentDescription(view: VersionView, tags?: Tag[]) {
  const h = view.handle;
  return {
    Hash: view.hash,
    HashType: "Sha256",
    Name: h.name,
    DisplayName: view.displayName,
    VersionName: view.versionName,
    Owner: h.owner,
    CreatedDate: new Date(h.createdAt),
    Status: "Active",
    DocumentVersion: String(view.version),
    Description: view.description,
    Parameters: parameterList(view.parameters),
    PlatformTypes: view.platformTypes,
    DocumentType: h.documentType,
    SchemaVersion: view.schemaVersion || undefined,
    LatestVersion: String(h.latestVersion),
    DefaultVersion: String(h.defaultVersion),
    DocumentFormat: view.format,
    TargetType: view.targetType,
    Tags: tags,
    AttachmentsInformation: attachmentsInformation(view),
    Requires: view.requires,
  };
}

/** DocumentIdentifier (ListDocuments). */
export function documentIdentifier(view: VersionView, callerAccount: string, tags?: Tag[]) {
  const h = view.handle;
  return {
    Name: displayName(view, callerAccount),
    CreatedDate: new Date(h.createdAt),
    DisplayName: view.displayName,
    Owner: h.owner,
    VersionName: view.versionName,
    PlatformTypes: view.platformTypes,
    DocumentVersion: String(view.version),
    DocumentType: h.documentType,
    SchemaVersion: view.schemaVersion || undefined,
    DocumentFormat: view.format,
    TargetType: view.targetType,
    Tags: tags,
    Requires: view.requires,
  };
}

/** DocumentVersionInfo (ListDocumentVersions). */
export function versionInfo(view: VersionView) {
  return {
    Name: view.handle.name,
    DisplayName: view.displayName,
    DocumentVersion: String(view.version),
    VersionName: view.versionName,
    CreatedDate: new Date(view.createdAt),
    IsDefaultVersion: view.version === view.handle.defaultVersion,
    DocumentFormat: view.format,
    Status: "Active",
  };
}

import type { DescribeDocumentRequest, GetDocumentRequest, ListDocumentVersionsRequest } from "@aws-sdk/client-ssm";
import { op, type RequestContext } from "../../runtime.js";
import { getTagList } from "../tags/index.js";
import { type DocumentHandle, loadVersion, viewOfBuiltin, viewOfRow } from "./access.js";
import { convertContent, parseContent } from "./content.js";
import { documentDescription, versionInfo } from "./describe.js";
import { pageOf } from "../../http/paging.js";
import { readResources } from "./resources.js";
import { docs, listVersionRows } from "./store.js";
import { TAG_TYPE } from "./tag-type.js";
import type { DocumentFormat } from "./types.js";

/** Attachments of a version as GetDocument lists them (Package documents: the manifest's files). */
function attachmentsContent(raw: string, format: DocumentFormat, documentType: string, attachments?: { Key?: string; Values?: string[] }[]) {
  if (documentType !== "Package") return undefined;
  const files = (parseContent(raw, format).files ?? {}) as Record<string, { checksums?: { sha256?: string } }>;
  const base = attachments?.find((a) => a.Key === "SourceUrl")?.Values?.[0]?.replace(/\/+$/, "");
  return Object.entries(files).map(([Name, f]) => ({ Name, Hash: f.checksums?.sha256, HashType: "Sha256", Url: base ? `${base}/${Name}` : undefined }));
}

export const getDocument = op<GetDocumentRequest, object, DocumentHandle>({
  service: "ssm",
  name: "GetDocument",
  readOnly: true,
  resources: readResources,
  async handle(ctx, input, handle) {
    const view = await loadVersion(ctx, handle, { version: input.DocumentVersion, versionName: input.VersionName });
    // AWS's default is JSON, whatever format the version was created in (TEXT content stays TEXT).
    const wanted = (input.DocumentFormat as DocumentFormat | undefined) ?? (view.format === "TEXT" ? "TEXT" : "JSON");
    const parsed = view.format === "TEXT" || wanted === view.format ? {} : parseContent(view.raw, view.format);
    return {
      Name: handle.name,
      CreatedDate: new Date(view.createdAt),
      DisplayName: view.displayName,
      VersionName: view.versionName,
      DocumentVersion: String(view.version),
      Status: "Active",
      Content: convertContent(view.raw, view.format, wanted, parsed, handle.name),
      DocumentType: handle.documentType,
      DocumentFormat: wanted,
      Requires: view.requires,
      AttachmentsContent: attachmentsContent(view.raw, view.format, handle.documentType, view.attachments),
    };
  },
});

/** One version of a document as a description extension sees it. */
export interface DescribedVersion {
  kind: "own" | "shared" | "builtin";
  scope: { accountId: string; region: string };
  name: string;
  documentType: string;
  version: number;
  hash: string;
}

/** Fields another capability adds to DescribeDocument's answer (Change Manager: a template's ReviewStatus). */
export type DescriptionExtension = (ctx: RequestContext, doc: DescribedVersion) => Promise<Record<string, unknown>>;

const extensions = new Set<DescriptionExtension>();

/** Adds fields to DescribeDocument's Document (the same function registered twice counts once). */
export function addDescriptionExtension(fn: DescriptionExtension): void {
  extensions.add(fn);
}

export const describeDocument = op<DescribeDocumentRequest, object, DocumentHandle>({
  service: "ssm",
  name: "DescribeDocument",
  readOnly: true,
  resources: readResources,
  async handle(ctx, input, handle) {
    const view = await loadVersion(ctx, handle, { version: input.DocumentVersion, versionName: input.VersionName });
    const tags = handle.kind === "own" ? await getTagList(ctx.services.db, handle.scope, TAG_TYPE, handle.name) : undefined;
    const described = { kind: handle.kind, scope: handle.scope, name: handle.name, documentType: handle.documentType, version: view.version, hash: view.hash };
    let extra: Record<string, unknown> = {};
    for (const fn of extensions) extra = { ...extra, ...(await fn(ctx, described)) };
    return { Document: { ...documentDescription(view, tags), ...extra } };
  },
});

export const listDocumentVersions = op<ListDocumentVersionsRequest, object, DocumentHandle>({
  service: "ssm",
  name: "ListDocumentVersions",
  readOnly: true,
  resources: readResources,
  async handle(ctx, input, handle) {
    let views = handle.builtin
      ? [viewOfBuiltin(handle, handle.builtin)]
      : (await listVersionRows(docs(ctx.services.db), handle.scope, handle.name)).map((r) => viewOfRow(handle, r));
    if (handle.kind === "shared" && handle.sharedVersion !== "$ALL") {
      const only = handle.sharedVersion === "$LATEST" ? handle.latestVersion : handle.defaultVersion;
      views = views.filter((v) => v.version === only);
    }
    const page = pageOf(ctx, views, (v) => String(v.version).padStart(10, "0"), input, { query: { n: input.Name }, defaultSize: 50, descending: true });
    return { DocumentVersions: page.items.map(versionInfo), NextToken: page.nextToken };
  },
});

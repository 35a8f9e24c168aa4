import { createHash } from "node:crypto";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { findDocument, loadVersion } from "./access.js";
import { checkContentSize } from "./content.js";
import type { VersionRow } from "./store.js";
import type { DocumentFormat } from "./types.js";
import { CEDAR_POLICY_TYPES } from "./validate/approval-policy.js";
import { validateDocumentContent } from "./validate/index.js";

export interface VersionInput {
  Content?: string;
  DocumentFormat?: string;
  VersionName?: string;
  DisplayName?: string;
  TargetType?: string;
  Requires?: { Name?: string; Version?: string; RequireType?: string; VersionName?: string }[];
  Attachments?: { Key?: string; Values?: string[]; Name?: string }[];
}

/**
 * A check another capability adds for its own document type (the access-requests capability checks
 * ManualApprovalPolicy approvers against IAM): runs on CreateDocument and UpdateDocument after the
 * content parsed, and refuses by throwing an ApiError.
 */
export type DocumentContentCheck = (ctx: RequestContext, documentName: string, content: Record<string, any>) => Promise<void>;
const contentChecks = new Map<string, DocumentContentCheck>();

/** Registers the content check of one document type (one per type). */
export function addDocumentContentCheck(documentType: string, check: DocumentContentCheck): void {
  contentChecks.set(documentType, check);
}

/** What CreateDocument and UpdateDocument store for a new version (everything but its number). */
export type PreparedVersion = Omit<VersionRow, "account_id" | "region" | "name" | "version" | "created_at">;

/** Checks a new version's content and metadata for the document's type, and derives what is stored with it. */
export async function prepareVersion(ctx: RequestContext, documentType: string, input: VersionInput, documentName = ""): Promise<PreparedVersion> {
  const raw = String(input.Content);
  checkContentSize(raw);
  // Cedar approval policies are text; every other type defaults to JSON.
  const format = (input.DocumentFormat ?? (CEDAR_POLICY_TYPES.includes(documentType) ? "TEXT" : "JSON")) as DocumentFormat;
  const { content, validated } = validateDocumentContent(documentType, format, raw);
  await contentChecks.get(documentType)?.(ctx, documentName, content);
  let versionName = input.VersionName;
  if (validated.packageVersion !== undefined) {
    if (versionName !== undefined && versionName !== validated.packageVersion) {
      throw new ApiError(
        "InvalidDocumentContent",
        `VersionName ${versionName} differs from the manifest's version ${validated.packageVersion}; a package version's VersionName is its manifest version.`,
      );
    }
    versionName = validated.packageVersion;
  }
  const requires = input.Requires?.map((r) => ({ Name: String(r.Name), Version: r.Version, RequireType: r.RequireType, VersionName: r.VersionName }));
  if (documentType === "ApplicationConfiguration" && !requires?.length) {
    throw new ApiError(
      "InvalidDocumentContent",
      "ApplicationConfiguration documents need Requires: name the ApplicationConfigurationSchema document their content is checked against.",
    );
  }
  for (const r of requires ?? []) {
    let handle: Awaited<ReturnType<typeof findDocument>>;
    try {
      handle = await findDocument(ctx, r.Name);
      await loadVersion(ctx, handle, { version: r.Version, versionName: r.VersionName });
    } catch (e) {
      if (e instanceof ApiError) throw new ApiError(e.code, `Requires: ${e.message}`);
      throw e;
    }
    if (documentType === "ApplicationConfiguration" && handle.documentType !== "ApplicationConfigurationSchema") {
      throw new ApiError(
        "InvalidDocumentContent",
        `Requires names ${r.Name}, a ${handle.documentType} document; an ApplicationConfiguration requires an ApplicationConfigurationSchema document.`,
      );
    }
  }
  return {
    version_name: versionName ?? null,
    content: raw,
    format,
    hash: createHash("sha256").update(raw).digest("hex"),
    schema_version: validated.schemaVersion,
    description: validated.description ?? null,
    display_name: input.DisplayName ?? null,
    target_type: input.TargetType ?? null,
    parameters: JSON.stringify(validated.parameters),
    platform_types: JSON.stringify(validated.platformTypes),
    requires: requires?.length ? JSON.stringify(requires) : null,
    attachments: input.Attachments?.length ? JSON.stringify(input.Attachments) : null,
  };
}

import type {
  ListDocumentMetadataHistoryRequest,
  ListDocumentMetadataHistoryResponse,
  UpdateDocumentMetadataRequest,
  UpdateDocumentMetadataResponse,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { pageOf } from "../../http/paging.js";
import { op, type RequestContext } from "../../runtime.js";
import { getDocumentForExecution, type ResolvedDocument } from "../documents/index.js";
import { serviceSettingValue } from "../settings/index.js";
import { approverListOf, listed } from "./approvers.js";
import { addReview, dropStaleReviews, type ReviewStatus, reviewsOf, statusOf } from "./reviews.js";
import { TEMPLATE_REVIEWERS } from "./settings.js";

export const CHANGE_TEMPLATE = "Automation.ChangeTemplate";

/**
 * The change template version a review names (the latest when none is given): one of the account's
 * own Automation.ChangeTemplate documents. Reviews belong to Change Manager's template workflow, which
 * is why these two documents operations live here rather than in documents/.
 */
async function templateVersion(ctx: RequestContext, name: string, version: string | undefined): Promise<ResolvedDocument> {
  const doc = await getDocumentForExecution(ctx, name, version ?? "$LATEST");
  if (doc.owner !== ctx.accountId) {
    throw new ApiError("InvalidDocumentOperation", `${name} is not one of this account's documents; only the owner reviews its change templates.`);
  }
  if (doc.documentType !== CHANGE_TEMPLATE) {
    throw new ApiError(
      "InvalidDocumentOperation",
      `${name} is a ${doc.documentType} document; review metadata belongs to change templates (document type ${CHANGE_TEMPLATE}).`,
    );
  }
  return doc;
}

/** A reviewer as the API names one (Reviewer: letters, digits, _ - . up to 50). */
const reviewerName = (ctx: RequestContext) => ctx.principal.name.replace(/[^a-zA-Z0-9_\-.]/g, "_").slice(0, 50);

const NEXT: Record<string, { from: ReviewStatus[]; to?: ReviewStatus; reviewer: boolean }> = {
  SendForReview: { from: ["NOT_REVIEWED", "REJECTED"], to: "PENDING", reviewer: false },
  UpdateReview: { from: ["PENDING"], reviewer: true },
  Approve: { from: ["NOT_REVIEWED", "PENDING", "REJECTED"], to: "APPROVED", reviewer: true },
  Reject: { from: ["NOT_REVIEWED", "PENDING", "APPROVED"], to: "REJECTED", reviewer: true },
};

export const updateDocumentMetadata = op<UpdateDocumentMetadataRequest, UpdateDocumentMetadataResponse, ResolvedDocument>({
  service: "ssm",
  name: "UpdateDocumentMetadata",
  async resources(ctx, input) {
    const doc = await templateVersion(ctx, String(input.Name), input.DocumentVersion);
    return { resources: [{ arn: doc.arn }], prepared: doc };
  },
  async handle(ctx, input, doc) {
    const action = String(input.DocumentReviews?.Action);
    const rule = NEXT[action];
    const version = Number(doc.version);
    const current = statusOf(await reviewsOf(ctx.services.db, ctx.scope, doc.name, version, doc.hash));
    if (!rule.from.includes(current)) {
      throw new ApiError(
        "InvalidDocumentOperation",
        `Version ${version} of ${doc.name} is ${current}; ${action} applies to a version that is ${rule.from.join(" or ")}.`,
      );
    }
    if (rule.reviewer) {
      const reviewers = await approverListOf(ctx.services, await serviceSettingValue(ctx.services, ctx.scope, TEMPLATE_REVIEWERS));
      if (reviewers.length && !listed(reviewers, ctx.principal.arn)) {
        throw new ApiError(
          "AccessDeniedException",
          `${ctx.principal.arn} is not a change template reviewer of this account (service setting ${TEMPLATE_REVIEWERS}: ${reviewers.join(", ")}).`,
        );
      }
    }
    const comment = (input.DocumentReviews?.Comment ?? []).map((c) => c.Content ?? "").join("\n");
    if (action === "UpdateReview" && !comment) {
      throw new ApiError("ValidationException", "UpdateReview adds a comment to the review: give Comment=[{Type=Comment,Content=...}].");
    }
    await ctx.transaction(async (tx) => {
      await dropStaleReviews(tx.db, ctx.scope, doc.name, version, doc.hash);
      await addReview(tx.db, {
        account_id: ctx.accountId,
        region: ctx.region,
        name: doc.name,
        version,
        hash: doc.hash,
        action,
        status: rule.to ?? current,
        reviewer_arn: ctx.principal.arn,
        reviewer_name: reviewerName(ctx),
        comment: comment || null,
        created_at: ctx.now().getTime(),
      });
      tx.publish({
        "detail-type": "Change Template Review",
        account: ctx.accountId,
        region: ctx.region,
        resources: [doc.arn],
        detail: { DocumentName: doc.name, DocumentVersion: doc.version, Action: action, ReviewStatus: rule.to ?? current, Reviewer: ctx.principal.arn },
      });
    });
    return {};
  },
});

export const listDocumentMetadataHistory = op<ListDocumentMetadataHistoryRequest, ListDocumentMetadataHistoryResponse, ResolvedDocument>({
  service: "ssm",
  name: "ListDocumentMetadataHistory",
  readOnly: true,
  async resources(ctx, input) {
    const doc = await templateVersion(ctx, String(input.Name), input.DocumentVersion);
    return { resources: [{ arn: doc.arn }], prepared: doc };
  },
  async handle(ctx, input, doc) {
    const rows = await reviewsOf(ctx.services.db, ctx.scope, doc.name, Number(doc.version), doc.hash);
    const author = [...rows].reverse().find((r) => r.action === "SendForReview");
    const page = pageOf(ctx, rows, (r) => String(r.seq).padStart(8, "0"), input, {
      query: [doc.name, doc.version],
      defaultSize: 50,
    });
    return {
      Name: doc.name,
      DocumentVersion: doc.version,
      Author: author?.reviewer_name,
      Metadata: {
        ReviewerResponse: page.items.map((r) => ({
          CreateTime: new Date(Number(r.created_at)),
          UpdatedTime: new Date(Number(r.created_at)),
          ReviewStatus: r.status as ReviewStatus,
          Comment: r.comment ? [{ Type: "Comment", Content: r.comment }] : undefined,
          Reviewer: r.reviewer_name,
        })),
      },
      NextToken: page.nextToken,
    };
  },
});

import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";

/** The account-level Session Manager preferences document: AWS creates it in every account, and an account may replace it. */
export const PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell";

/** Name prefixes AWS keeps for its own documents (compared without regard to case). */
const RESERVED_PREFIXES = ["aws-", "amazon", "amzn", "awsec2", "awsconfigremediation", "awssupport"];

/** Throws unless a caller may create a document with this name. */
export function checkNewDocumentName(name: string): void {
  const lower = name.toLowerCase();
  const reserved = RESERVED_PREFIXES.find((p) => lower.startsWith(p));
  if (reserved) {
    throw new ApiError(
      "ValidationException",
      `Invalid document name ${name}: names beginning with "${name.slice(0, reserved.length)}" are reserved for AWS-owned documents (reserved prefixes: AWS-, Amazon, amzn, AWSEC2, AWSConfigRemediation, AWSSupport). Choose another name.`,
    );
  }
}

/** Whether a name belongs to the built-in (Amazon-owned) namespace, where no account can create or change documents. */
export function isReservedName(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_PREFIXES.some((p) => lower.startsWith(p));
}

export interface DocumentRef {
  /** Account id in the ARN; "" for AWS-owned documents (arn:aws:ssm:<region>::document/<name>); undefined when given a plain name. */
  account?: string;
  name: string;
}

const ARN = /^arn:aws[a-z-]*:ssm:([a-z0-9-]*):(\d{12})?:document\/([a-zA-Z0-9_.-]{3,128})$/;

/** Reads a document name or ARN as the API accepts it. */
export function parseDocumentRef(ctx: RequestContext, nameOrArn: string): DocumentRef {
  if (!nameOrArn.startsWith("arn:")) return { name: nameOrArn };
  const m = ARN.exec(nameOrArn);
  if (!m) {
    throw new ApiError("InvalidDocument", `${nameOrArn} is not a document ARN: use arn:aws:ssm:<region>:<account-id>:document/<name>, or the document's name.`);
  }
  const [, region, account, name] = m;
  if (region && region !== ctx.region) {
    throw new ApiError(
      "InvalidDocument",
      `Document ${nameOrArn} is in region ${region}; this request is for ${ctx.region}. Documents are regional: call the document's own region.`,
    );
  }
  return { account: account ?? "", name };
}

export function documentArn(region: string, account: string, name: string): string {
  return `arn:aws:ssm:${region}:${account}:document/${name}`;
}

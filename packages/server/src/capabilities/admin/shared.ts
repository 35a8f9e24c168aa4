import { ApiError } from "../../errors.js";
import { type PrincipalKind, type PrincipalRow, checkPrincipalName, requirePrincipal } from "../../iam/admin.js";
import { findPrincipal, principalArn } from "../../iam/principals.js";
import type { Access, RequestContext } from "../../runtime.js";
import { invalidateCachedKeys } from "../nodes/index.js";

/** The user or role an admin operation names, when it exists (authorization comes before NoSuchEntity). */
export type Named = PrincipalRow | undefined;

/**
 * The IAM resource of a user or role named in the caller's account: its ARN (with its path when it
 * exists; `/` otherwise, so that a caller may not learn from NoSuchEntity what it may not read).
 */
export async function principalAccess(ctx: RequestContext, kind: PrincipalKind, name: string): Promise<Access<Named>> {
  const row = await findPrincipal(ctx.services.db, ctx.accountId, kind, checkPrincipalName(kind, name));
  return { resources: [{ arn: row?.arn ?? principalArn(ctx.accountId, kind, name) }], prepared: row };
}

/** The row `principalAccess` found, or NoSuchEntity (looked up again for the message's sake). */
export async function existing(ctx: RequestContext, kind: PrincipalKind, name: string, row: Named): Promise<PrincipalRow> {
  return row ?? requirePrincipal(ctx.services.db, ctx.accountId, kind, name);
}

/** The user an operation with an optional UserName acts on: that user, or the calling user (as IAM does). */
export function userNameOf(ctx: RequestContext, userName: string | undefined): string {
  if (userName !== undefined) return userName;
  if (ctx.principal.kind === "user") return ctx.principal.name;
  throw new ApiError("ValidationException", `UserName is required when the caller is not an IAM user (the caller is ${ctx.principal.arn}).`);
}

/** After a change to a principal's policies or keys: this server forgets its cached copy at once (others within the cache time). */
export function forgetKeys(ctx: RequestContext, arn: string): void {
  invalidateCachedKeys(ctx.services, arn);
}

/** Marker / MaxItems paging as IAM answers it: IsTruncated, and Marker when there is more. */
export function iamPage<T>(page: { items: T[]; nextToken?: string }) {
  return page.nextToken ? { IsTruncated: true, Marker: page.nextToken } : { IsTruncated: false };
}

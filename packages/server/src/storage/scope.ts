import type { ExpressionBuilder } from "kysely";

/** The account and region a request acts in: every resource row is keyed by both. */
export interface Scope {
  accountId: string;
  region: string;
}

/**
 * The condition that keeps a query inside one account and region: `.where(inScope(ctx))`, or
 * `.where(inScope(ctx, "i"))` for a table joined under an alias.
 */
export function inScope(scope: Scope, alias?: string) {
  const column = (name: string) => (alias ? `${alias}.${name}` : name);
  return (eb: ExpressionBuilder<any, any>) => eb.and([eb(column("account_id"), "=", scope.accountId), eb(column("region"), "=", scope.region)]);
}

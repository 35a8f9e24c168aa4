import type { ListDocumentsRequest } from "@aws-sdk/client-ssm";
import type { RequestContext } from "../../runtime.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { findByTag, getTagList } from "../tags/index.js";
import { builtinHandle, rowHandle, type VersionView, viewOfBuiltin, viewOfRow } from "./access.js";
import { builtinCatalog } from "./builtin/catalog.js";
import { documentIdentifier } from "./describe.js";
import { type DocumentQuery, matches, readFilters } from "./list-filters.js";
import { pageOf } from "../../http/paging.js";
import { docs, getDocumentRow, getVersionRow, listDocumentsWithDefault, listGrants } from "./store.js";
import { TAG_TYPE } from "./tag-type.js";

/** Documents other accounts shared with the caller: directly ("Private") and/or with everyone ("Public"). */
async function sharedViews(ctx: RequestContext, direct: boolean, publicOnes: boolean, includeOwnPublic: boolean): Promise<VersionView[]> {
  const db = docs(ctx.services.db);
  const grants = await listGrants(db, ctx.region, ctx.accountId, { direct, public: publicOnes });
  const seen = new Set<string>();
  const out: VersionView[] = [];
  for (const g of grants) {
    const key = `${g.account_id}/${g.name}`;
    if (seen.has(key) || (g.account_id === ctx.accountId && !includeOwnPublic)) continue;
    seen.add(key);
    const owner = { accountId: g.account_id, region: g.region };
    const row = await getDocumentRow(db, owner, g.name);
    if (!row) continue;
    const own = g.account_id === ctx.accountId;
    const handle = rowHandle(row, own ? "own" : "shared", g.shared_version);
    const number = !own && g.shared_version === "$LATEST" ? row.latest_version : row.default_version;
    const version = await getVersionRow(db, owner, g.name, number);
    if (version) out.push(viewOfRow(handle, version));
  }
  return out;
}

async function ownViews(ctx: RequestContext, q: DocumentQuery): Promise<VersionView[]> {
  const scope = { accountId: ctx.accountId, region: ctx.region };
  let names: string[] | undefined;
  for (const [key, values] of q.tags) {
    const ids = await findByTag(ctx.services.db, scope, TAG_TYPE, key, values);
    names = names ? names.filter((n) => ids.includes(n)) : ids;
  }
  const rows = await listDocumentsWithDefault(docs(ctx.services.db), scope, names);
  return rows.map((r) => viewOfRow(rowHandle(r.doc, "own"), r.version));
}

function builtinViews(ctx: RequestContext, amazon: boolean, perAccount: boolean, ownNames: Set<string>): VersionView[] {
  const out: VersionView[] = [];
  for (const b of builtinCatalog().values()) {
    if (b.perAccount ? !perAccount || ownNames.has(b.name) : !amazon) continue;
    const handle = builtinHandle(ctx, b);
    out.push(viewOfBuiltin(handle, b));
  }
  return out;
}

export const listDocuments = op<ListDocumentsRequest, object>({
  service: "ssm",
  name: "ListDocuments",
  readOnly: true,
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const q = readFilters(input.Filters, input.DocumentFilterList);
    const owner = q.owner;
    const tagged = q.tags.size > 0;
    const self = !owner || owner === "Self" || owner === "All";
    const views: VersionView[] = [];
    const own = self || owner === "Public" ? await ownViews(ctx, q) : [];
    if (self) views.push(...own);
    const ownNames = new Set(own.map((v) => v.handle.name));
    // Amazon's documents and other accounts' carry no tags this account can filter on.
    if (!tagged) {
      views.push(...builtinViews(ctx, !owner || owner === "Amazon" || owner === "All", self, ownNames));
      const direct = !owner || owner === "Private" || owner === "All";
      const publicOnes = owner === "Public" || owner === "All";
      views.push(...(await sharedViews(ctx, direct, publicOnes, false)));
    }
    if (owner === "Public") {
      const mine = new Set(
        (await listGrants(docs(ctx.services.db), ctx.region, ctx.accountId, { direct: false, public: true }))
          .filter((g) => g.account_id === ctx.accountId)
          .map((g) => g.name),
      );
      views.push(...own.filter((v) => mine.has(v.handle.name)));
    }
    const unique = new Map<string, VersionView>();
    for (const v of views) if (matches(q, v)) unique.set(v.handle.arn, v);
    const page = pageOf(ctx, [...unique.values()], (v) => `${v.handle.name}\u0000${v.handle.owner}`, input, {
      query: { f: input.Filters ?? null, l: input.DocumentFilterList ?? null },
      defaultSize: 50,
    });
    const identifiers = [];
    for (const v of page.items) {
      const tags = v.handle.kind === "own" ? await getTagList(ctx.services.db, v.handle.scope, TAG_TYPE, v.handle.name) : undefined;
      identifiers.push(documentIdentifier(v, ctx.accountId, tags));
    }
    return { DocumentIdentifiers: identifiers, NextToken: page.nextToken };
  },
});

import type { Tx } from "../../runtime.js";
import type { AnyDb } from "../../storage/database.js";
import { inScope, type Scope } from "../../storage/scope.js";
import { nodeArn } from "../nodes/index.js";
import { type ComplianceTables, complianceDb } from "./tables.js";

export type ItemRow = ComplianceTables["compliance_items"];
export type SummaryRow = ComplianceTables["compliance_summaries"];

/** Severities from the highest down. */
export const SEVERITIES = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNSPECIFIED"] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface ComplianceItemInput {
  Id?: string;
  Title?: string;
  Severity: string;
  Status: string;
  Details?: Record<string, string>;
}

/** One upload of compliance items for a resource and compliance type. */
export interface ComplianceWrite {
  resourceType: string;
  resourceId: string;
  complianceType: string;
  execution: { time: number; id?: string; type?: string };
  items: ComplianceItemInput[];
  /** COMPLETE replaces every item of the type; PARTIAL adds or replaces the items named. */
  upload: "COMPLETE" | "PARTIAL";
  /** The caller's hash of the whole item set: a COMPLETE upload with no items and the stored hash keeps the items. */
  itemContentHash?: string;
}

/** Items without an Id are stored under their position (shown without an Id). */
const ANONYMOUS = "#";
const itemKey = (item: ComplianceItemInput, i: number) => item.Id ?? `${ANONYMOUS}${i}`;
export const shownId = (itemId: string) => (itemId.startsWith(ANONYMOUS) ? undefined : itemId);

function highest(severities: string[]): Severity {
  for (const s of SEVERITIES) if (severities.includes(s)) return s;
  return "UNSPECIFIED";
}

type Counts = Record<"COMPLIANT" | "NON_COMPLIANT", Record<string, number>>;

function summarize(items: Pick<ItemRow, "status" | "severity">[]): { status: string; severity: Severity; counts: Counts } {
  const counts: Counts = { COMPLIANT: {}, NON_COMPLIANT: {} };
  for (const i of items) {
    const bucket = i.status === "NON_COMPLIANT" ? counts.NON_COMPLIANT : counts.COMPLIANT;
    bucket[i.severity] = (bucket[i.severity] ?? 0) + 1;
  }
  const non = items.filter((i) => i.status === "NON_COMPLIANT");
  return {
    status: non.length ? "NON_COMPLIANT" : "COMPLIANT",
    severity: highest((non.length ? non : items).map((i) => i.severity)),
    counts,
  };
}

export function getSummary(db: AnyDb, scope: Scope, resourceType: string, resourceId: string, complianceType: string): Promise<SummaryRow | undefined> {
  return complianceDb(db)
    .selectFrom("compliance_summaries")
    .selectAll()
    .where(inScope(scope))
    .where("resource_type", "=", resourceType)
    .where("resource_id", "=", resourceId)
    .where("compliance_type", "=", complianceType)
    .executeTakeFirst();
}

/** The compliance types a resource has items of. */
export async function typesOf(db: AnyDb, scope: Scope, resourceType: string, resourceId: string): Promise<string[]> {
  const rows = await complianceDb(db)
    .selectFrom("compliance_summaries")
    .select("compliance_type")
    .where(inScope(scope))
    .where("resource_type", "=", resourceType)
    .where("resource_id", "=", resourceId)
    .execute();
  return rows.map((r) => r.compliance_type);
}

/**
 * Writes one upload in the caller's transaction, recomputes the resource's summary for the type and,
 * when its status changed, publishes "Configuration Compliance State Change".
 */
export async function writeCompliance(tx: Tx, scope: Scope, w: ComplianceWrite, now: number): Promise<void> {
  const d = complianceDb(tx.db);
  const pair = (q: any) =>
    q.where(inScope(scope)).where("resource_type", "=", w.resourceType).where("resource_id", "=", w.resourceId).where("compliance_type", "=", w.complianceType);
  const previous = await getSummary(tx.db, scope, w.resourceType, w.resourceId, w.complianceType);
  const execution = { execution_time: w.execution.time, execution_id: w.execution.id ?? null, execution_type: w.execution.type ?? null };
  const unchanged = w.upload === "COMPLETE" && w.items.length === 0 && w.itemContentHash !== undefined && previous?.item_content_hash === w.itemContentHash;
  if (unchanged) {
    await pair(d.updateTable("compliance_items").set(execution)).execute();
  } else {
    if (w.upload === "COMPLETE") await pair(d.deleteFrom("compliance_items")).execute();
    else if (w.items.length) await pair(d.deleteFrom("compliance_items")).where("item_id", "in", w.items.map(itemKey)).execute();
    const rows: ItemRow[] = w.items.map((item, i) => ({
      account_id: scope.accountId,
      region: scope.region,
      resource_type: w.resourceType,
      resource_id: w.resourceId,
      compliance_type: w.complianceType,
      item_id: itemKey(item, i),
      title: item.Title ?? null,
      severity: item.Severity,
      status: item.Status,
      details: item.Details && Object.keys(item.Details).length ? JSON.stringify(item.Details) : null,
      ...execution,
    }));
    for (let i = 0; i < rows.length; i += 500)
      await d
        .insertInto("compliance_items")
        .values(rows.slice(i, i + 500))
        .execute();
  }
  const all = (await pair(d.selectFrom("compliance_items").select(["status", "severity"])).execute()) as Pick<ItemRow, "status" | "severity">[];
  const s = summarize(all);
  const summary = {
    status: s.status,
    overall_severity: s.severity,
    counts: JSON.stringify(s.counts),
    ...execution,
    item_content_hash: w.upload === "COMPLETE" ? (w.itemContentHash ?? null) : (previous?.item_content_hash ?? null),
    updated_at: now,
  };
  await d
    .insertInto("compliance_summaries")
    .values({
      account_id: scope.accountId,
      region: scope.region,
      resource_type: w.resourceType,
      resource_id: w.resourceId,
      compliance_type: w.complianceType,
      ...summary,
    })
    .onConflict((oc) => oc.columns(["account_id", "region", "resource_type", "resource_id", "compliance_type"]).doUpdateSet(summary))
    .execute();
  if (!previous || previous.status !== s.status || previous.overall_severity !== s.severity) {
    tx.publish({
      "detail-type": "Configuration Compliance State Change",
      account: scope.accountId,
      region: scope.region,
      resources: [w.resourceType === "ManagedInstance" ? nodeArn(scope, w.resourceId) : w.resourceId],
      detail: {
        "last-runtime": new Date(w.execution.time).toISOString(),
        "compliance-status": s.status,
        "previous-compliance-status": previous?.status ?? null,
        "compliance-type": w.complianceType,
        severity: s.severity,
        "resource-type": w.resourceType,
        "resource-id": w.resourceId,
        ...(w.execution.id ? { "execution-id": w.execution.id } : {}),
      },
    });
  }
}

/**
 * Removes some items (by Id) of one compliance type from every resource that has them, as deleting
 * what they reported on does (DeleteAssociation: its Association items); each resource's summary is
 * recomputed, and dropped when no item of the type is left.
 */
export async function removeComplianceItems(
  tx: Tx,
  scope: Scope,
  r: { resourceType: string; complianceType: string; itemIds: string[] },
  now: number,
): Promise<void> {
  const d = complianceDb(tx.db);
  if (!r.itemIds.length) return;
  const holders = await d
    .selectFrom("compliance_items")
    .select("resource_id")
    .distinct()
    .where(inScope(scope))
    .where("resource_type", "=", r.resourceType)
    .where("compliance_type", "=", r.complianceType)
    .where("item_id", "in", r.itemIds)
    .execute();
  const resourceIds = holders.map((h) => h.resource_id);
  for (let i = 0; i < resourceIds.length; i += 500) {
    const ids = resourceIds.slice(i, i + 500);
    await d
      .deleteFrom("compliance_items")
      .where(inScope(scope))
      .where("resource_type", "=", r.resourceType)
      .where("resource_id", "in", ids)
      .where("compliance_type", "=", r.complianceType)
      .where("item_id", "in", r.itemIds)
      .execute();
    const left = await d
      .selectFrom("compliance_items")
      .select(["resource_id", "status", "severity"])
      .where(inScope(scope))
      .where("resource_type", "=", r.resourceType)
      .where("resource_id", "in", ids)
      .where("compliance_type", "=", r.complianceType)
      .execute();
    const byResource = new Map<string, Pick<ItemRow, "status" | "severity">[]>();
    for (const row of left) byResource.set(row.resource_id, [...(byResource.get(row.resource_id) ?? []), row]);
    const summaries = d
      .selectFrom("compliance_summaries")
      .select("resource_id")
      .where(inScope(scope))
      .where("resource_type", "=", r.resourceType)
      .where("compliance_type", "=", r.complianceType)
      .where("resource_id", "in", ids);
    for (const { resource_id } of await summaries.execute()) {
      const items = byResource.get(resource_id);
      const pair = d
        .updateTable("compliance_summaries")
        .where(inScope(scope))
        .where("resource_type", "=", r.resourceType)
        .where("resource_id", "=", resource_id)
        .where("compliance_type", "=", r.complianceType);
      if (!items) {
        await d
          .deleteFrom("compliance_summaries")
          .where(inScope(scope))
          .where("resource_type", "=", r.resourceType)
          .where("resource_id", "=", resource_id)
          .where("compliance_type", "=", r.complianceType)
          .execute();
        continue;
      }
      const s = summarize(items);
      await pair.set({ status: s.status, overall_severity: s.severity, counts: JSON.stringify(s.counts), updated_at: now }).execute();
    }
  }
}

import type { BusEvent } from "../../events/bus.js";
import type { ServerSlot, Services, Tx } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { nodeArn, recentlyLostNodes } from "../nodes/index.js";
import { serviceSettingValue } from "../settings/index.js";
import { insertOpsItem } from "./create.js";
import { opsItemRowOf } from "./ops-items.js";
import { OPS_ITEM_LIMITS } from "./limits.js";
import { DEDUP_KEY, getOpsItem, type OperationalData, opsItemEvent } from "./store.js";
import { type OpsItemRow, opsDb } from "./tables.js";
import { recordTimeline, timelineDetail } from "./timeline.js";
import { connectionLostHit, type RuleHit, ruleHitOf, ruleSettingId } from "./rules.js";

/** Who opens a rule's OpsItems, as CreatedBy shows it: the rule, named like the EventBridge rule AWS would use. */
export const ruleArn = (scope: Scope, rule: string) => `arn:aws:events:${scope.region}:${scope.accountId}:rule/openssm-opsitem-${rule}`;

/** What this server's rules have under way (finished before it stops) and its subscription. */
interface RunnerState {
  pending: Set<Promise<void>>;
  unsubscribe?: () => void;
  lastLostCheck?: number;
}
const RUNNER: ServerSlot<RunnerState> = { name: "ops-center.rules", create: () => ({ pending: new Set() }) };

/** How far back the connection-lost check looks for nodes that stopped reporting. */
const LOST_LOOKBACK_MS = 24 * 60 * 60 * 1000;
/** How often (test-clock time) it looks. */
const LOST_CHECK_EVERY_MS = 30 * 1000;

const resourceList = (data: OperationalData): { arn: string }[] => {
  try {
    const parsed = JSON.parse(data["/aws/resources"]?.Value ?? "[]") as unknown;
    return Array.isArray(parsed) ? (parsed as { arn: string }[]) : [];
  } catch {
    return [];
  }
};

/** The OpsItem a hit opens, built and checked as CreateOpsItem builds and checks one (limits included). */
function newRow(hit: RuleHit, severity: string, now: number): OpsItemRow {
  const data: OperationalData = { [DEDUP_KEY]: { Type: "SearchableString", Value: JSON.stringify({ dedupString: hit.dedup }) } };
  const resources = [...new Set(hit.resources)].slice(0, OPS_ITEM_LIMITS.RelatedResources).map((arn) => ({ arn }));
  if (resources.length) data["/aws/resources"] = { Type: "SearchableString", Value: JSON.stringify(resources) };
  for (const [k, v] of Object.entries(hit.facts)) data[k] = { Type: "SearchableString", Value: v };
  data.Rule = { Type: "SearchableString", Value: hit.rule };
  const input = {
    Title: hit.title.slice(0, 1024),
    Description: hit.description,
    Source: "SSM",
    OpsItemType: "/aws/issue",
    Severity: severity,
    Category: hit.category,
    OperationalData: data,
  };
  return opsItemRowOf(hit.scope, ruleArn(hit.scope, hit.rule), now, input).row;
}

/** Adds resources a later report of the subject names (a second node the command failed on) to its OpsItem. */
async function addResources(tx: Tx, hit: RuleHit, opsItemId: string, now: number): Promise<void> {
  if (!hit.resources.length) return;
  const row = await getOpsItem(tx.db, hit.scope, opsItemId);
  if (!row) return; // deleted since
  const data = JSON.parse(row.operational_data) as OperationalData;
  const list = resourceList(data);
  const fresh = hit.resources.filter((arn) => !list.some((r) => r.arn === arn));
  if (!fresh.length || list.length + fresh.length > OPS_ITEM_LIMITS.RelatedResources) return;
  data["/aws/resources"] = { Type: "SearchableString", Value: JSON.stringify([...list, ...fresh.map((arn) => ({ arn }))]) };
  const by = ruleArn(hit.scope, hit.rule);
  const next: OpsItemRow = { ...row, operational_data: JSON.stringify(data), version: row.version + 1, last_modified_by: by, modified_at: now };
  const res = await opsDb(tx.db)
    .updateTable("ops_items")
    .set({ operational_data: next.operational_data, version: next.version, last_modified_by: by, modified_at: now })
    .where("ops_item_id", "=", row.ops_item_id)
    .where("version", "=", row.version)
    .executeTakeFirst();
  // A concurrent update won: the resource is left out rather than the update lost.
  if (Number(res.numUpdatedRows) !== 1) return;
  await recordTimeline(tx.db, hit.scope, next, "OpsItem Update", timelineDetail(next, ["OperationalData"]), by, now);
  tx.publish(opsItemEvent(hit.scope, next, "Update", ["OperationalData"]));
}

/**
 * Acts on one hit, once per subject across replicas and repeats: the subject's row (primary key)
 * is claimed in the same transaction that opens the OpsItem; a later report of it only adds resources.
 */
export async function applyHit(services: Services, hit: RuleHit): Promise<void> {
  const severity = await serviceSettingValue(services, hit.scope, ruleSettingId(hit.rule));
  if (severity === "Disabled") return;
  const now = services.clock.now();
  const row = newRow(hit, severity, now);
  const outcome = await services.transaction(async (tx) => {
    const d = opsDb(tx.db);
    const claimed = await d
      .insertInto("ops_rule_hits")
      .values({
        account_id: hit.scope.accountId,
        region: hit.scope.region,
        rule: hit.rule,
        subject: hit.subject,
        ops_item_id: row.ops_item_id,
        created_at: now,
      })
      .onConflict((oc) => oc.columns(["account_id", "region", "rule", "subject"]).doNothing())
      .executeTakeFirst();
    if (Number(claimed.numInsertedOrUpdatedRows ?? 0) === 0) {
      const prior = await d
        .selectFrom("ops_rule_hits")
        .select("ops_item_id")
        .where("account_id", "=", hit.scope.accountId)
        .where("region", "=", hit.scope.region)
        .where("rule", "=", hit.rule)
        .where("subject", "=", hit.subject)
        .executeTakeFirst();
      if (prior) await addResources(tx, hit, prior.ops_item_id, now);
      return { opened: false, id: prior?.ops_item_id };
    }
    const created = await insertOpsItem(tx, hit.scope, row, []);
    if (!created.created) {
      await d
        .updateTable("ops_rule_hits")
        .set({ ops_item_id: created.id })
        .where("account_id", "=", hit.scope.accountId)
        .where("region", "=", hit.scope.region)
        .where("rule", "=", hit.rule)
        .where("subject", "=", hit.subject)
        .execute();
      await addResources(tx, hit, created.id, now);
    }
    return { opened: created.created, id: created.id };
  });
  if (outcome.opened) services.log.info({ rule: hit.rule, subject: hit.subject, opsItemId: outcome.id }, "OpsCenter rule opened an OpsItem");
}

/** Nodes that went ConnectionLost since the last look (ping status is derived, so no event tells it). */
export async function checkLostNodes(services: Services, now: number): Promise<void> {
  const state = services.own(RUNNER);
  if (state.lastLostCheck !== undefined && now - state.lastLostCheck < LOST_CHECK_EVERY_MS && now >= state.lastLostCheck) return;
  state.lastLostCheck = now;
  const lost = await recentlyLostNodes(services.db, now, now - LOST_LOOKBACK_MS);
  if (!lost.length) return;
  // Skip those whose loss already opened an item, with one query per account and region.
  const byScope = new Map<string, typeof lost>();
  for (const n of lost) byScope.set(`${n.scope.accountId}|${n.scope.region}`, [...(byScope.get(`${n.scope.accountId}|${n.scope.region}`) ?? []), n]);
  for (const nodes of byScope.values()) {
    const scope = nodes[0].scope;
    const hits = nodes.map((n) => connectionLostHit(scope, n, nodeArn(scope, n.instanceId)));
    const seen = new Set(
      (
        await opsDb(services.db)
          .selectFrom("ops_rule_hits")
          .select("subject")
          .where("account_id", "=", scope.accountId)
          .where("region", "=", scope.region)
          .where("rule", "=", "connection-lost")
          .where(
            "subject",
            "in",
            hits.map((h) => h.subject),
          )
          .execute()
      ).map((r) => r.subject),
    );
    for (const hit of hits) if (!seen.has(hit.subject)) await applyHit(services, hit);
  }
}

/** Subscribes the rules to this server's events: each event is delivered once, on the replica that committed it. */
export function startRules(services: Services): void {
  const state = services.own(RUNNER);
  state.unsubscribe = services.events.subscribe((event: BusEvent) => {
    const hit = ruleHitOf(event);
    if (!hit) return;
    // Off the publisher's path: an agent's reply is not held up by the OpsItem it causes.
    const p = applyHit(services, hit)
      .catch((err) => services.log.error({ err, rule: hit.rule, subject: hit.subject }, "OpsCenter rule failed"))
      .finally(() => state.pending.delete(p));
    state.pending.add(p);
  });
  services.scheduler.register({ name: "ops-center-connection-lost", run: (now) => checkLostNodes(services, now) });
}

export async function stopRules(services: Services): Promise<void> {
  const state = services.own(RUNNER);
  state.unsubscribe?.();
  state.unsubscribe = undefined;
  while (state.pending.size) await Promise.allSettled([...state.pending]);
}

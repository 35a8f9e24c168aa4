import { randomUUID } from "node:crypto";
import { createRequestContext } from "../../http/request-context.js";
import type { RequestContext, ServerSlot, Services } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { calendarState } from "../calendar/index.js";
import { EXECUTION_GRACE_MS, executionTimeoutSeconds } from "../commands/index.js";
import { getDocumentForExecution, resolveParameters } from "../documents/index.js";
import { attachNodes, endQuietRun, type Nudges, refreshNodeSummaries, sendNudges, startExecution, timeOutExecution } from "./engine.js";
import { appliesAtOnce, nextRun } from "./spec.js";
import { type AssociationRow, allAssociations, dueAssociations, type ExecutionRow, instanceIdsOf, openExecutions, quietTakenRuns, specOf } from "./store.js";
import { associationDb } from "./tables.js";
import { targetNodes } from "./targets.js";

/** State Manager acting on its own (a schedule), as AWS's service-linked role does. */
function stateManagerContext(services: Services, scope: Scope): RequestContext {
  return createRequestContext(
    services,
    randomUUID(),
    "StateManagerSchedule",
    {
      accessKeyId: "",
      secret: "",
      sessionTokenHash: null,
      expiresAt: null,
      status: "Active",
      principal: {
        arn: `arn:aws:sts::${scope.accountId}:assumed-role/AWSServiceRoleForAmazonSSM/StateManager`,
        accountId: scope.accountId,
        kind: "role",
        name: "AWSServiceRoleForAmazonSSM",
        principalId: "AROASTATEMANAGER:StateManager",
        tags: {},
      },
      policies: [
        { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["ssm:GetCalendarState", "ssm:GetDocument", "ssm:DescribeDocument"], Resource: "*" }] },
      ],
    },
    scope.region,
    { sourceIp: "state-manager", secure: true },
  );
}

/** Applies the associations whose schedule is due (once, however many occurrences a stopped server missed). */
async function runDue(services: Services, now: number, nudges: Nudges): Promise<void> {
  for (const a of await dueAssociations(services.db, now, 200)) {
    const spec = specOf(a);
    const scope = { accountId: a.account_id, region: a.region };
    const due = a.next_run_at as number;
    let next: number | null;
    try {
      next = nextRun(spec, now, due) ?? null;
    } catch {
      next = null;
    }
    let closed = false;
    if (spec.CalendarNames?.length) {
      try {
        closed = (await calendarState(stateManagerContext(services, scope), spec.CalendarNames, now)).state === "CLOSED";
      } catch (err) {
        services.log.warn({ err, associationId: a.association_id }, "the association's change calendars could not be read: not applying it now");
        closed = true;
      }
    }
    const nodes = closed ? [] : await targetNodes(services.db, scope, spec.Targets ?? []);
    await services.transaction(async (tx) => {
      const r = await associationDb(tx.db)
        .updateTable("associations")
        .set({ next_run_at: next })
        .where("association_id", "=", a.association_id)
        .where("next_run_at", "=", due)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1 || closed) return;
      await startExecution(tx, a, nodes, "Schedule", now, nudges);
    });
    if (closed)
      services.log.info(
        { associationId: a.association_id, calendars: spec.CalendarNames },
        "a change calendar is closed: the association waits for its next time",
      );
  }
}

/**
 * Keeps each association's nodes in step with its targets: a node that starts to match (registered
 * with matching tags, tagged later) gets the association at once; one that stops matching drops it.
 */
async function reconcile(services: Services, associations: AssociationRow[], now: number, nudges: Nudges): Promise<void> {
  for (const a of associations) {
    const spec = specOf(a);
    const scope = { accountId: a.account_id, region: a.region };
    const nodes = await targetNodes(services.db, scope, spec.Targets ?? []);
    const held = await instanceIdsOf(services.db, a.association_id);
    const have = new Set(held);
    const want = new Set(nodes);
    const added = nodes.filter((n) => !have.has(n));
    const removed = held.filter((id) => !want.has(id));
    if (!added.length && !removed.length) continue;
    await services.transaction(async (tx) => {
      const d = associationDb(tx.db);
      const current = await d.selectFrom("associations").select("version").where("association_id", "=", a.association_id).executeTakeFirst();
      if (!current || current.version !== a.version) return;
      for (const id of removed)
        await d.deleteFrom("association_instances").where("association_id", "=", a.association_id).where("instance_id", "=", id).execute();
      if (added.length) {
        if (appliesAtOnce(spec)) await startExecution(tx, a, added, "NewTargets", now, nudges);
        else await attachNodes(tx, a, added, now);
      }
      await refreshNodeSummaries(tx, scope, [...added, ...removed]);
    });
  }
}

/** Ends the executions that ran past their association's Duration; returns those still open. */
async function enforceDurations(
  services: Services,
  open: ExecutionRow[],
  byId: Map<string, AssociationRow>,
  now: number,
  nudges: Nudges,
): Promise<ExecutionRow[]> {
  const still: ExecutionRow[] = [];
  for (const e of open) {
    const a = byId.get(e.association_id);
    const hours = a ? specOf(a).Duration : undefined;
    if (!a || hours === undefined || e.created_at + hours * 3_600_000 > now) still.push(e);
    else await services.transaction((tx) => timeOutExecution(tx, a, e.execution_id, now, nudges));
  }
  return still;
}

/** How long an association's runs may go quiet, per association version, kept a minute (a document's default version may change). */
const ALLOWANCES: ServerSlot<Map<string, { seconds: number; until: number }>> = { name: "associations.run-allowances", create: () => new Map() };
const ALLOWANCE_CACHE_MS = 60_000;

/**
 * How long a node may hold a run of the association without a word: the document's execution
 * timeout with the association's parameters (as Run Command computes it), and Run Command's grace.
 */
async function runAllowanceSeconds(services: Services, a: AssociationRow, now: number): Promise<number> {
  const cache = services.own(ALLOWANCES);
  const key = `${a.association_id}:${a.version}`;
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.seconds;
  const spec = specOf(a);
  let seconds: number;
  try {
    const ctx = stateManagerContext(services, { accountId: a.account_id, region: a.region });
    const doc = await getDocumentForExecution(ctx, a.name, spec.DocumentVersion);
    // A parameter the schedule cannot resolve (an {{ssm:...}} reference it may not read) counts as given.
    const resolved = await resolveParameters(ctx, doc, spec.Parameters).catch(() => ({ ...spec.Parameters }));
    seconds = executionTimeoutSeconds(doc, resolved) + EXECUTION_GRACE_MS / 1000;
  } catch (err) {
    // The document is gone: its runs may not last longer than the longest a step may run (48 h).
    services.log.warn({ err, associationId: a.association_id }, "the association's document could not be read: its quiet runs end after 48 hours");
    seconds = 172_800 + EXECUTION_GRACE_MS / 1000;
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(key, { seconds, until: now + ALLOWANCE_CACHE_MS });
  return seconds;
}

/**
 * Frees the nodes that took a run and went quiet for longer than it may last (endQuietRun): per open
 * execution, only its runs quiet past that time are read, so runs still within it cost nothing.
 */
async function endQuietRuns(services: Services, open: ExecutionRow[], byId: Map<string, AssociationRow>, now: number, nudges: Nudges): Promise<void> {
  for (const e of open) {
    const a = byId.get(e.association_id);
    if (!a) continue;
    const seconds = await runAllowanceSeconds(services, a, now);
    for (const run of await quietTakenRuns(services.db, e.execution_id, now - seconds * 1000)) {
      await services.transaction((tx) => endQuietRun(tx, a, e.execution_id, run.instance_id, seconds, now, nudges));
    }
  }
}

/**
 * State Manager's periodic work: Durations and quiet runs, due schedules, then target changes; the
 * associations and open executions are read once for the tick; nodes are nudged after the commits.
 */
export async function stateManagerTick(services: Services, now: number): Promise<void> {
  const nudges: Nudges = new Map();
  try {
    const associations = await allAssociations(services.db);
    const byId = new Map(associations.map((a) => [a.association_id, a]));
    const open = await enforceDurations(services, await openExecutions(services.db), byId, now, nudges);
    await endQuietRuns(services, open, byId, now, nudges);
    await runDue(services, now, nudges);
    await reconcile(services, associations, now, nudges);
  } finally {
    await sendNudges(services, nudges);
  }
}

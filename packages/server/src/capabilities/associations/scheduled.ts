import { randomUUID } from "node:crypto";
import { createRequestContext } from "../../http/request-context.js";
import type { RequestContext, Services } from "../../runtime.js";
import type { Scope } from "../../storage/scope.js";
import { calendarState } from "../calendar/index.js";
import { EXECUTION_GRACE_MS, executionTimeoutSeconds } from "../commands/index.js";
import { getDocumentForExecution, resolveParameters } from "../documents/index.js";
import { attachNodes, endQuietRun, type Nudges, refreshNodeSummaries, sendNudges, startExecution, timeOutExecution } from "./engine.js";
import { appliesAtOnce, nextRun } from "./spec.js";
import { type AssociationRow, allAssociations, dueAssociations, instanceIdsOf, openExecutions, quietTakenRuns, specOf } from "./store.js";
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
async function reconcile(services: Services, now: number, nudges: Nudges): Promise<void> {
  for (const a of await allAssociations(services.db)) {
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

/** Ends the executions that ran past their association's Duration. */
async function enforceDurations(services: Services, now: number, nudges: Nudges): Promise<void> {
  const open = await openExecutions(services.db);
  if (!open.length) return;
  const byId = new Map((await allAssociations(services.db)).map((a) => [a.association_id, a]));
  for (const e of open) {
    const a = byId.get(e.association_id);
    const hours = a ? specOf(a).Duration : undefined;
    if (!a || hours === undefined || e.created_at + hours * 3_600_000 > now) continue;
    await services.transaction((tx) => timeOutExecution(tx, a, e.execution_id, now, nudges));
  }
}

/**
 * How long a node may hold a run of the association without a word: the document's execution
 * timeout with the association's parameters (as Run Command computes it), and Run Command's grace.
 */
async function runAllowanceSeconds(services: Services, a: AssociationRow): Promise<number> {
  const spec = specOf(a);
  const ctx = stateManagerContext(services, { accountId: a.account_id, region: a.region });
  const doc = await getDocumentForExecution(ctx, a.name, spec.DocumentVersion);
  // A parameter the schedule cannot resolve (an {{ssm:...}} reference it may not read) counts as given.
  const resolved = await resolveParameters(ctx, doc, spec.Parameters).catch(() => ({ ...spec.Parameters }));
  return executionTimeoutSeconds(doc, resolved) + EXECUTION_GRACE_MS / 1000;
}

/** Frees the nodes that took a run and went quiet for longer than it may last (endQuietRun). */
async function endQuietRuns(services: Services, now: number, nudges: Nudges): Promise<void> {
  const quiet = await quietTakenRuns(services.db, now - EXECUTION_GRACE_MS);
  if (!quiet.length) return;
  const byId = new Map((await allAssociations(services.db)).map((a) => [a.association_id, a]));
  const allowed = new Map<string, number>();
  for (const run of quiet) {
    const a = byId.get(run.association_id);
    if (!a) continue;
    let seconds = allowed.get(a.association_id);
    if (seconds === undefined) {
      try {
        seconds = await runAllowanceSeconds(services, a);
      } catch (err) {
        // The document is gone: its runs may not last longer than the longest a step may run (48 h).
        services.log.warn({ err, associationId: a.association_id }, "the association's document could not be read: its quiet runs end after 48 hours");
        seconds = 172_800 + EXECUTION_GRACE_MS / 1000;
      }
      allowed.set(a.association_id, seconds);
    }
    if (run.updated_at + seconds * 1000 > now) continue;
    const allowedSeconds = seconds;
    await services.transaction((tx) => endQuietRun(tx, a, run.execution_id, run.instance_id, allowedSeconds, now, nudges));
  }
}

/** State Manager's periodic work: due schedules, then target changes; nodes are nudged after the commits. */
export async function stateManagerTick(services: Services, now: number): Promise<void> {
  const nudges: Nudges = new Map();
  try {
    await enforceDurations(services, now, nudges);
    await endQuietRuns(services, now, nudges);
    await runDue(services, now, nudges);
    await reconcile(services, now, nudges);
  } finally {
    await sendNudges(services, nudges);
  }
}

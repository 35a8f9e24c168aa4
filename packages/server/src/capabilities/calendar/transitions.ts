import type { EventInput } from "../../events/bus.js";
import type { Services } from "../../runtime.js";
import { listDocumentsOfType, type StoredDocumentVersion } from "../documents/index.js";
import { type CalendarStateName, evaluate, isoSeconds, modelOf } from "./model.js";
import { calendarDb, type CalendarTables } from "./tables.js";

/**
 * "Calendar State Change" events: on each scheduler tick (one replica), every ChangeCalendar document
 * whose next transition has come, or whose content changed, is evaluated from the instant its
 * transitions were last published up to now; each OPEN/CLOSED transition in between is published
 * once, in the transaction that moves the calendar's stored state on (claimed by its previous
 * checked_at, so a second replica or a restart never publishes it again). A calendar seen for the
 * first time starts from its state when its version was created (at most a day back).
 */

type StateRow = CalendarTables["calendar_states"];

const DAY = 86_400_000;
/** How far back a calendar seen for the first time is followed (a server upgraded onto old calendars does not replay them). */
const FIRST_LOOKBACK = DAY;
/** A calendar whose state changes no more within the evaluation horizon is looked at again after this. */
const RECHECK = 30 * DAY;
/** Transitions published per calendar and tick; the rest follow on the next ticks. */
const MAX_PER_TICK = 20;

export const CALENDAR_STATE_CHANGE = "Calendar State Change";

/** EventBridge's Calendar State Change: the calendar document's ARN, its new state, when, and when it changes next. */
export function calendarStateChange(doc: Pick<StoredDocumentVersion, "accountId" | "region" | "arn">, t: Transition): EventInput {
  return {
    source: "aws.ssm",
    "detail-type": CALENDAR_STATE_CHANGE,
    account: doc.accountId,
    region: doc.region,
    resources: [doc.arn],
    detail: {
      state: t.state,
      atTime: isoSeconds(t.at),
      ...(t.next !== undefined ? { nextTransitionTime: isoSeconds(t.next) } : {}),
    },
  };
}

interface Transition {
  at: number;
  state: CalendarStateName;
  next?: number;
}

const keyOf = (r: { account_id: string; region: string; name: string }) => `${r.account_id}\u0000${r.region}\u0000${r.name}`;

export async function publishCalendarTransitions(services: Services, now: number): Promise<void> {
  const calendars = await listDocumentsOfType(services.db, "ChangeCalendar");
  const d = calendarDb(services.db);
  const stored = new Map((await d.selectFrom("calendar_states").selectAll().execute()).map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  for (const doc of calendars) {
    const key = keyOf({ account_id: doc.accountId, region: doc.region, name: doc.name });
    seen.add(key);
    const row = stored.get(key);
    if (row && row.hash === doc.hash && row.due_at > now) continue;
    try {
      await advanceCalendar(services, doc, row, now);
    } catch (err) {
      services.log.error({ err, calendar: doc.arn }, "publishing a change calendar's transitions failed");
    }
  }
  // Deleted calendars: forget them (a calendar created again under the name starts afresh).
  for (const [key, row] of stored) {
    if (seen.has(key)) continue;
    await d
      .deleteFrom("calendar_states")
      .where("account_id", "=", row.account_id)
      .where("region", "=", row.region)
      .where("name", "=", row.name)
      .where("checked_at", "=", row.checked_at)
      .execute();
  }
}

/** Publishes the calendar's transitions after its last published state, up to now. */
async function advanceCalendar(services: Services, doc: StoredDocumentVersion, row: StateRow | undefined, now: number): Promise<void> {
  const { raw, content } = await doc.load();
  const model = modelOf(doc.name, doc.format, raw, content);
  const transitions: Transition[] = [];
  let t: number;
  let state: CalendarStateName;
  if (!row) {
    t = Math.min(now, Math.max(doc.createdAt, now - FIRST_LOOKBACK));
    state = evaluate([model], t).state;
  } else {
    state = row.state as CalendarStateName;
    // A changed calendar: its new content applies from when its version was made, or from the last check.
    t = row.hash === doc.hash ? row.checked_at : Math.min(now, Math.max(row.checked_at, doc.createdAt));
  }
  let due = now + RECHECK;
  let checked = now;
  for (;;) {
    const r = evaluate([model], t);
    if (r.state !== state) {
      transitions.push({ at: t, state: r.state, next: r.nextTransitionTime });
      state = r.state;
    }
    if (r.nextTransitionTime === undefined || r.nextTransitionTime > now) {
      if (r.nextTransitionTime !== undefined) due = r.nextTransitionTime;
      break;
    }
    if (transitions.length >= MAX_PER_TICK) {
      // More to publish: the next tick goes on from here.
      checked = t;
      due = now;
      break;
    }
    t = r.nextTransitionTime;
  }
  const next: StateRow = {
    account_id: doc.accountId,
    region: doc.region,
    name: doc.name,
    state,
    hash: doc.hash,
    checked_at: checked,
    due_at: due,
  };
  await services.transaction(async (tx) => {
    const d = calendarDb(tx.db);
    if (!row) {
      const r = await d
        .insertInto("calendar_states")
        .values(next)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(r.numInsertedOrUpdatedRows ?? 0) === 0) return; // another replica saw it first
    } else {
      const r = await d
        .updateTable("calendar_states")
        .set({ state: next.state, hash: next.hash, checked_at: next.checked_at, due_at: next.due_at })
        .where("account_id", "=", row.account_id)
        .where("region", "=", row.region)
        .where("name", "=", row.name)
        .where("checked_at", "=", row.checked_at)
        .where("hash", "=", row.hash)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return; // published already (another replica, or a tick that overlapped)
    }
    for (const tr of transitions) tx.publish(calendarStateChange(doc, tr));
  });
}

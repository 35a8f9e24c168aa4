import type { Migration } from "kysely";
import { type AnyDb, tables } from "../../storage/database.js";

/** What the calendar transition job last published for each ChangeCalendar document. */
export interface CalendarTables {
  calendar_states: {
    account_id: string;
    region: string;
    name: string;
    /** OPEN or CLOSED: the state subscribers last heard (or the state when the calendar was first seen). */
    state: string;
    /** Sha256 of the default version evaluated: another hash means the calendar changed. */
    hash: string;
    /** Transitions up to this instant (epoch ms) are published. */
    checked_at: number;
    /** When to look again: the next transition, or a later re-check when none comes. */
    due_at: number;
  };
}

export const calendarDb = (db: AnyDb) => tables<CalendarTables>(db);

export function calendarMigrations(): Record<string, Migration> {
  return {
    "calendar-001-states": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("calendar_states")
          .addColumn("account_id", "varchar(12)", (c) => c.notNull())
          .addColumn("region", "varchar(32)", (c) => c.notNull())
          .addColumn("name", "varchar(128)", (c) => c.notNull())
          .addColumn("state", "varchar(8)", (c) => c.notNull())
          .addColumn("hash", "varchar(64)", (c) => c.notNull())
          .addColumn("checked_at", "bigint", (c) => c.notNull())
          .addColumn("due_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("calendar_states_pk", ["account_id", "region", "name"])
          .execute();
      },
    },
  };
}

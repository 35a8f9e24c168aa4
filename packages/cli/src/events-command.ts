import type { Command } from "commander";
import { createEventBus, silentLog } from "./core.js";
import { printJson } from "./errors.js";
import { type StorageFlags, withStorage, withStorageOptions } from "./storage.js";
import { formatTable, parseLimit, parseTime } from "./time.js";

interface EventFlags extends StorageFlags {
  detailType?: string;
  since?: string;
  accountId?: string;
  limit?: string;
  json?: boolean;
}

/** `openssm events`: the event log (EventBridge-shaped state changes), oldest first. */
export function registerEventsCommand(program: Command): void {
  withStorageOptions(program.command("events").description("show the event log (the EventBridge-shaped events webhooks receive)"))
    .option("--detail-type <type>", 'only events of this detail-type ("Parameter Store Change")')
    .option("--since <time>", "from this time: ISO-8601, epoch seconds or back from now (-1h, -30m, -2d)")
    .option("--account-id <id>", "only events of this account")
    .option("--limit <n>", "at most this many events (default 1000)")
    .option("--json", "print the events as JSON")
    .action(async (o: EventFlags) => {
      const filter = {
        detailType: o.detailType,
        accountId: o.accountId,
        since: o.since ? parseTime("--since", o.since) : undefined,
        limit: parseLimit(o.limit, 1000),
      };
      const events = await withStorage(o, (s) => createEventBus(s.db, silentLog, []).list(filter));
      if (o.json) {
        printJson(events);
        return;
      }
      const rows = events.map((e) => [e.time, e.account, e.region, e["detail-type"], e.resources.join(",") || "-", JSON.stringify(e.detail)]);
      process.stdout.write(formatTable(["TIME", "ACCOUNT", "REGION", "DETAIL-TYPE", "RESOURCES", "DETAIL"], rows));
    });
}

import type { Command } from "commander";
import { createAuditLog, silentLog } from "./core.js";
import { printJson } from "./errors.js";
import { type StorageFlags, withStorage, withStorageOptions } from "./storage.js";
import { formatTable, parseLimit, parseTime } from "./time.js";

interface AuditFlags extends StorageFlags {
  since?: string;
  until?: string;
  principal?: string;
  operation?: string;
  accountId?: string;
  limit?: string;
  json?: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** `openssm audit`: the audit trail of API calls (who, what, when, from where, outcome), newest last. */
export function registerAuditCommand(program: Command): void {
  withStorageOptions(program.command("audit").description("show the audit trail of API calls (secret values are never recorded)"))
    .option("--since <time>", "from this time: ISO-8601, epoch seconds or back from now (-1h, -30m, -2d)")
    .option("--until <time>", "up to this time (same forms)")
    .option("--principal <text>", "only calls by principals whose ARN contains this (a user name, an account id)")
    .option("--operation <name>", "only this operation (PutParameter)")
    .option("--account-id <id>", "only calls in this account")
    .option("--limit <n>", "at most this many records: the newest (default 100)")
    .option("--json", "print JSON (every field, with the request parameters) instead of a table")
    .action(async (o: AuditFlags) => {
      const now = Date.now();
      const query = {
        since: o.since ? parseTime("--since", o.since, now) : undefined,
        until: o.until ? parseTime("--until", o.until, now) : undefined,
        principal: o.principal,
        operation: o.operation,
        accountId: o.accountId,
        limit: parseLimit(o.limit, 100),
        newestFirst: true,
      };
      const records = await withStorage(o, async (s) => (await createAuditLog(s.db, silentLog).query(query)).reverse());
      if (o.json) {
        printJson(records.map((r) => ({ ...r, time: iso(r.time) })));
        return;
      }
      const rows = records.map((r) => [iso(r.time), r.principalArn ?? "-", `${r.service}:${r.operation}`, r.sourceIp, r.errorCode ?? "OK", r.requestId]);
      process.stdout.write(formatTable(["TIME", "PRINCIPAL", "OPERATION", "SOURCE IP", "RESULT", "REQUEST ID"], rows));
    });
}

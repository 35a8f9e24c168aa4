import type { Kysely, Migration } from "kysely";
import type { Logger } from "pino";
import type { AnyDb } from "../storage/database.js";

/** One API call in the audit trail. Request parameters are stored with sensitive values redacted. */
export interface AuditRecord {
  /** The record's position in the trail (set on records read back, not on those written). */
  seq?: number;
  time: number;
  requestId: string;
  accountId: string | null;
  region: string | null;
  principalArn: string | null;
  accessKeyId: string | null;
  sourceIp: string;
  service: string;
  operation: string;
  parameters: unknown;
  errorCode: string | null;
  errorMessage: string | null;
  durationMs: number;
}

interface AuditTables {
  audit_log: {
    seq?: number;
    time: number;
    request_id: string;
    account_id: string | null;
    region: string | null;
    principal_arn: string | null;
    access_key_id: string | null;
    source_ip: string;
    service: string;
    operation: string;
    parameters: string;
    error_code: string | null;
    error_message: string | null;
    duration_ms: number;
  };
}

export function auditMigrations(engine: string): Record<string, Migration> {
  return {
    "audit-001-log": {
      async up(db: AnyDb) {
        await db.schema
          .createTable("audit_log")
          .addColumn("seq", engine === "postgres" ? "bigserial" : "integer", (c) => (engine === "postgres" ? c.primaryKey() : c.primaryKey().autoIncrement()))
          .addColumn("time", "bigint", (c) => c.notNull())
          .addColumn("request_id", "varchar(64)", (c) => c.notNull())
          .addColumn("account_id", "varchar(12)")
          .addColumn("region", "varchar(32)")
          .addColumn("principal_arn", "varchar(512)")
          .addColumn("access_key_id", "varchar(128)")
          .addColumn("source_ip", "varchar(64)", (c) => c.notNull())
          .addColumn("service", "varchar(32)", (c) => c.notNull())
          .addColumn("operation", "varchar(128)", (c) => c.notNull())
          .addColumn("parameters", "text", (c) => c.notNull())
          .addColumn("error_code", "varchar(128)")
          .addColumn("error_message", "text")
          .addColumn("duration_ms", "integer", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("audit_log_time").on("audit_log").column("time").execute();
      },
    },
  };
}

export interface AuditQuery {
  since?: number;
  until?: number;
  principal?: string;
  operation?: string;
  accountId?: string;
  service?: string;
  /** Success: calls that answered without an error; Failure: calls that answered with one. */
  outcome?: "Success" | "Failure";
  errorCode?: string;
  /** Only records before this position (paging newest first) or after it (oldest first). */
  afterSeq?: number;
  limit?: number;
  /** With `limit`: the newest records rather than the oldest (returned newest first). */
  newestFirst?: boolean;
}

/** Column widths of audit_log: longer values (a caller can send any X-Amz-Target) are cut, never refused. */
const WIDTH = { request_id: 64, account_id: 12, region: 32, principal_arn: 512, access_key_id: 128, source_ip: 64, service: 32, operation: 128 };
/** Text a column can hold on both engines: PostgreSQL refuses NUL characters, so they are written escaped. */
function clean<T extends string | null>(v: T): T {
  if (typeof v !== "string" || !v.includes("\u0000")) return v;
  return v.split("\u0000").join("\\u0000") as T;
}
const cut = (v: string | null, n: number) => clean(v !== null && v.length > n ? v.slice(0, n) : v);

/** The most parameter text an audit record keeps; a larger request is recorded by its size alone. */
export const MAX_AUDIT_PARAMETERS = 64 * 1024;

/** The request parameters as JSON; a body too deep to serialize or too large is recorded as such, never thrown. */
function parametersText(parameters: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(parameters ?? {}) ?? "{}";
  } catch {
    return JSON.stringify({ unrecorded: "the parameters could not be serialized (nested too deeply)" });
  }
  if (text.length > MAX_AUDIT_PARAMETERS) return JSON.stringify({ unrecorded: `the parameters were ${text.length} characters long` });
  return text;
}

function toRow(r: AuditRecord): AuditTables["audit_log"] {
  return {
    time: r.time,
    request_id: cut(r.requestId, WIDTH.request_id) as string,
    account_id: cut(r.accountId, WIDTH.account_id),
    region: cut(r.region, WIDTH.region),
    principal_arn: cut(r.principalArn, WIDTH.principal_arn),
    access_key_id: cut(r.accessKeyId, WIDTH.access_key_id),
    source_ip: cut(r.sourceIp, WIDTH.source_ip) as string,
    service: cut(r.service, WIDTH.service) as string,
    operation: cut(r.operation, WIDTH.operation) as string,
    parameters: parametersText(r.parameters),
    error_code: cut(r.errorCode, 128),
    error_message: clean(r.errorMessage),
    duration_ms: Math.round(r.durationMs),
  };
}

export interface AuditLog {
  record(entry: AuditRecord): void;
  /** Writes everything buffered so far. */
  flush(): Promise<void>;
  query(q: AuditQuery): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

/**
 * Buffers records and writes them in one transaction every `intervalMs` (or at 500 records),
 * so auditing every call costs one durable write per batch rather than one per call.
 */
export function createAuditLog(db: AnyDb, log: Logger, intervalMs = 100): AuditLog {
  const d = db as unknown as Kysely<AuditTables>;
  let buffer: AuditRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const write = () => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    const batch = buffer;
    buffer = [];
    if (batch.length === 0) return writing;
    writing = writing
      .then(async () => {
        let lost = 0;
        let error: unknown;
        for (let i = 0; i < batch.length; i += 100) {
          let chunk: AuditTables["audit_log"][] = [];
          try {
            chunk = batch.slice(i, i + 100).map(toRow);
            await d.insertInto("audit_log").values(chunk).execute();
          } catch (e) {
            // One bad record must not take its chunk with it: write them one by one.
            error = e;
            if (chunk.length === 0) lost += Math.min(100, batch.length - i);
            for (const row of chunk)
              await d
                .insertInto("audit_log")
                .values(row)
                .execute()
                .catch(() => lost++);
          }
        }
        if (lost) log.error({ err: error, lost }, "audit records could not be written");
      })
      .catch((e) => log.error({ err: e }, "audit batch failed")); // the chain never rejects: later batches still run
    return writing;
  };

  return {
    record(entry) {
      buffer.push(entry);
      if (buffer.length >= 500) void write();
      else if (!timer) {
        timer = setTimeout(write, intervalMs);
        timer.unref();
      }
    },
    flush: () => write(),
    async query(q) {
      let s = d.selectFrom("audit_log").selectAll();
      if (q.since !== undefined) s = s.where("time", ">=", q.since);
      if (q.until !== undefined) s = s.where("time", "<=", q.until);
      if (q.principal) s = s.where("principal_arn", "like", `%${q.principal}%`);
      if (q.operation) s = s.where("operation", "=", q.operation);
      if (q.accountId) s = s.where("account_id", "=", q.accountId);
      if (q.service) s = s.where("service", "=", q.service);
      if (q.outcome === "Success") s = s.where("error_code", "is", null);
      if (q.outcome === "Failure") s = s.where("error_code", "is not", null);
      if (q.errorCode) s = s.where("error_code", "=", q.errorCode);
      if (q.afterSeq !== undefined) s = s.where("seq", q.newestFirst ? "<" : ">", q.afterSeq);
      const rows = await s
        .orderBy("seq", q.newestFirst ? "desc" : "asc")
        .limit(q.limit ?? 1000)
        .execute();
      return rows.map((r) => ({
        seq: Number(r.seq),
        time: Number(r.time),
        requestId: r.request_id,
        accountId: r.account_id,
        region: r.region,
        principalArn: r.principal_arn,
        accessKeyId: r.access_key_id,
        sourceIp: r.source_ip,
        service: r.service,
        operation: r.operation,
        parameters: JSON.parse(r.parameters),
        errorCode: r.error_code,
        errorMessage: r.error_message,
        durationMs: r.duration_ms,
      }));
    },
    async close() {
      await write();
    },
  };
}

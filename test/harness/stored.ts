import { openStorage } from "@openssm/server";
import type { TestServer } from "./server.js";

/** Reads the server's database directly (what the API does not show): opens it, runs `read`, closes it. */
async function fromStorage<T>(server: TestServer, read: (db: ReturnType<typeof openStorage>["db"]) => Promise<T>): Promise<T> {
  const storage = openStorage(server.databaseUrl);
  try {
    return await read(storage.db);
  } finally {
    await storage.close();
  }
}

/** The details of the events of one detail-type the server recorded, oldest first. */
export function storedEvents(server: TestServer, detailType: string): Promise<Record<string, unknown>[]> {
  return fromStorage(server, async (db) => {
    const rows = await db.selectFrom("event_log").select("body").where("detail_type", "=", detailType).orderBy("time").execute();
    return rows.map((r) => (JSON.parse(String(r.body)) as { detail: Record<string, unknown> }).detail);
  });
}

/** The audit records of one operation, oldest first. */
export function storedAudit(
  server: TestServer,
  operation: string,
): Promise<{ principal_arn: string | null; error_code: string | null; source_ip: string | null }[]> {
  return fromStorage(server, (db) =>
    db.selectFrom("audit_log").select(["principal_arn", "error_code", "source_ip"]).where("operation", "=", operation).orderBy("time").execute(),
  );
}

import { createHash, createHmac } from "node:crypto";
import { join } from "node:path";
import { SignatureV4 } from "@smithy/signature-v4";
import { openStorage } from "@openssm/server";
import { type Credentials, type ProcessResult, runProcess, type TestServer } from "../harness/index.js";
import { repoRoot, tsxArgs } from "../harness/paths.js";

/** `openssm <args>` against a test server's storage (its --data-dir and --database-url, its master key). */
export function openssm(server: TestServer, args: string[], env: Record<string, string> = {}): Promise<ProcessResult> {
  const full = [...tsxArgs(), join(repoRoot, "packages/cli/src/main.ts"), ...args, "--data-dir", server.dataDir, "--database-url", server.databaseUrl];
  return runProcess(process.execPath, full, { OPENSSM_MASTER_KEY: server.masterKey, ...env }, undefined, 60_000, repoRoot);
}

/** Tables that change on their own (audit, events, scheduler leases) or only record migrations. */
/** Tables the server writes on its own (records of calls, leases, replica heartbeats), whatever the requests. */
const VOLATILE = new Set(["audit_log", "event_log", "scheduler_leases", "server_replicas", "kysely_migration", "kysely_migration_lock"]);

/** The row count of every table a request could change. */
export async function rowCounts(databaseUrl: string): Promise<Record<string, number>> {
  const storage = openStorage(databaseUrl);
  try {
    const out: Record<string, number> = {};
    for (const t of await storage.db.introspection.getTables()) {
      if (VOLATILE.has(t.name)) continue;
      const r = await storage.db
        .selectFrom(t.name)
        .select((eb) => eb.fn.countAll().as("n"))
        .executeTakeFirstOrThrow();
      out[t.name] = Number(r.n);
    }
    return out;
  } finally {
    await storage.close();
  }
}

/** Every row of every table, as text (binary columns as UTF-8, Latin-1 and hex), for searching for plaintext. */
export async function dumpStorage(databaseUrl: string): Promise<string> {
  const storage = openStorage(databaseUrl);
  try {
    const parts: string[] = [];
    for (const t of await storage.db.introspection.getTables()) {
      const rows = await storage.db.selectFrom(t.name).selectAll().execute();
      for (const row of rows) {
        for (const v of Object.values(row)) {
          if (Buffer.isBuffer(v) || v instanceof Uint8Array) {
            const b = Buffer.from(v);
            parts.push(b.toString("utf8"), b.toString("latin1"), b.toString("hex"));
          } else parts.push(typeof v === "string" ? v : JSON.stringify(v));
        }
      }
    }
    return parts.join("\n");
  } finally {
    await storage.close();
  }
}

/** The forms a leaked secret could take in text: itself, base64 and hex. */
export function leakForms(secret: string): string[] {
  const b = Buffer.from(secret, "utf8");
  return [secret, b.toString("base64").replace(/=+$/, ""), b.toString("hex")];
}

export function findLeaks(haystack: string | Buffer, secrets: string[]): string[] {
  const text = Buffer.isBuffer(haystack) ? haystack.toString("latin1") : haystack;
  return secrets.filter((s) => leakForms(s).some((f) => text.includes(f)));
}

export class Sha256 {
  private h;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.h = secret ? createHmac("sha256", toBytes(secret)) : createHash("sha256");
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.h.update(toBytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.h.digest());
  }
  reset(): void {}
}

const toBytes = (d: string | ArrayBuffer | ArrayBufferView): string | Buffer =>
  typeof d === "string" ? d : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d);

export interface RawResponse {
  status: number;
  type: string;
  body: Record<string, unknown>;
  text: string;
}

/**
 * Sends any body (valid or not) to a JSON 1.1 operation, signed with SigV4 as the SDKs sign:
 * `target` is "AmazonSSM.GetParameter" or "TrentService.Encrypt".
 */
export async function signedCall(
  server: TestServer,
  target: string,
  body: string,
  creds: Credentials = server.admin,
  headers: { signed?: Record<string, string>; unsigned?: Record<string, string> } = {},
): Promise<RawResponse> {
  const url = new URL(server.endpoint);
  const service = target.startsWith("TrentService.") ? "kms" : "ssm";
  const signer = new SignatureV4({ credentials: creds, region: server.region, service, sha256: Sha256 });
  const req = await signer.sign({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: "/",
    query: {},
    headers: { ...headers.signed, host: url.host, "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
    body,
  });
  const res = await fetch(server.endpoint, { method: "POST", headers: { ...(req.headers as Record<string, string>), ...headers.unsigned }, body });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: res.status, type: String(parsed.__type ?? res.headers.get("x-amzn-errortype") ?? ""), body: parsed, text };
}

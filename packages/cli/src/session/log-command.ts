import { writeFileSync } from "node:fs";
import { createAuditLog, createLogger, findSessionById, readRecording, toAsciicast, transcript } from "@openssm/server";
import { CliError } from "../errors.js";
import { type StorageFlags, withStorage } from "../storage.js";

export interface LogFlags extends StorageFlags {
  asciicast?: boolean;
  output?: string;
  input?: boolean;
  info?: boolean;
}

const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString());

/**
 * `openssm session log <id>`: a session's recording, decrypted with the server's master key — the
 * transcript (what the session printed), or asciicast v2 for asciinema — and who started it, why, and
 * the StartSession call in the audit trail.
 */
export async function sessionLog(sessionId: string, flags: LogFlags): Promise<void> {
  await withStorage(flags, async (s) => {
    let row: Awaited<ReturnType<typeof findSessionById>>;
    try {
      row = await findSessionById(s.db, sessionId);
    } catch {
      row = undefined;
    }
    if (!row) throw new CliError(`no session ${sessionId} in this server's storage`);
    const audit = (
      await createAuditLog(s.db, createLogger("silent")).query({ operation: "StartSession", since: row.start_date - 60_000, until: row.start_date + 60_000 })
    ).find((r) => r.requestId === row.request_id);
    const info = {
      SessionId: row.session_id,
      Target: row.target,
      Owner: row.owner,
      DocumentName: row.document_name,
      SessionType: row.session_type,
      Status: row.status,
      Reason: row.reason ?? undefined,
      RunAs: row.run_as ?? undefined,
      StartDate: iso(row.start_date),
      EndDate: iso(row.end_date),
      StartSessionRequestId: row.request_id,
      SourceIp: audit?.sourceIp,
      RecordingRetainedUntil:
        row.recorded === 0
          ? "not recorded"
          : row.recording_purged
            ? "purged"
            : row.retain_until
              ? iso(row.retain_until)
              : row.end_date
                ? "forever"
                : "after the session ends",
    };
    if (flags.info) {
      process.stdout.write(`${JSON.stringify(info, null, 4)}\n`);
      return;
    }
    if (row.recorded === 0) {
      throw new CliError(`session ${sessionId} forwarded a port and was not recorded (the server records port forwarding only with --record-port-sessions)`);
    }
    if (row.recording_purged) throw new CliError(`the recording of session ${sessionId} was deleted when its retention ended`);
    const events = await readRecording(s.db, await s.masterKey(), row.session_id, Buffer.from(row.recording_key));
    const header = [
      `# session ${row.session_id} on ${row.target} by ${row.owner}`,
      `# ${row.document_name}, ${row.status}, ${info.StartDate} .. ${info.EndDate}${row.reason ? `, reason: ${row.reason}` : ""}`,
      `# StartSession request ${row.request_id}${audit ? ` from ${audit.sourceIp}` : ""}`,
    ].join("\n");
    const out = flags.asciicast
      ? Buffer.from(toAsciicast(events, { startedAt: row.start_date, title: `${row.session_id} on ${row.target}` }))
      : transcript(events, flags.input ? ["o", "i"] : ["o"]);
    if (flags.output) {
      writeFileSync(flags.output, out, { mode: 0o600 });
      process.stderr.write(`${header}\n# written to ${flags.output}\n`);
    } else {
      if (!flags.asciicast) process.stderr.write(`${header}\n`);
      process.stdout.write(out);
    }
  });
}

import type { AuditLog, AuditRecord } from "../events/audit.js";
import type { FromWorker } from "./messages.js";

/**
 * A worker's audit trail: records go to the main process in batches (every `intervalMs`, or at 200),
 * which writes them with its own; the trail stays one sequence with one writer.
 */
export function auditRelay(send: (m: FromWorker) => void, intervalMs = 50): AuditLog {
  let buffer: AuditRecord[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = async () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (buffer.length === 0) return;
    const records = buffer;
    buffer = [];
    send({ openssm: "audit", records });
  };
  return {
    record(entry) {
      buffer.push(entry);
      if (buffer.length >= 200) void flush();
      else if (!timer) timer = setTimeout(flush, intervalMs);
    },
    flush,
    async query() {
      throw new Error("the audit trail is read in the main process");
    },
    close: flush,
  };
}

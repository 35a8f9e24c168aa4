import pino, { type Logger } from "pino";

export type { Logger };

/** The agent's structured log (pino, JSON lines on stderr so stdout stays for command output). */
export function createLog(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({ level, base: { service: "openssm-agent", ...base } }, pino.destination(2));
}

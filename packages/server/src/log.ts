import pino, { type Logger } from "pino";

/** The server's logger: JSON lines (pino) at `level`. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "openssm" } });
}

import { ResumeSessionCommand, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { type ApiFlags, resolveApi, ssmClient, trusted } from "../api-client.js";
import { CliError } from "../errors.js";

export type { ApiFlags } from "../api-client.js";
export { apiError } from "../api-client.js";

export interface SessionApi {
  client: SSMClient;
  /** The CA certificates (public roots and the server's CA) for the wss:// stream URL. */
  ca?: string[];
  start(input: { Target: string; DocumentName?: string; Parameters?: Record<string, string[]>; Reason?: string }): Promise<{
    SessionId: string;
    TokenValue: string;
    StreamUrl: string;
  }>;
  resume(sessionId: string): Promise<{ tokenValue?: string; streamUrl?: string }>;
  terminate(sessionId: string): Promise<void>;
  /**
   * Ends a session this client started and cannot carry on (the stream URL cannot be reached, the
   * connection is lost, a signal): TerminateSession, so that neither the session nor the shell on the
   * node waits for the idle timeout. Never throws; gives up after `ms`.
   */
  abandon(sessionId: string, ms?: number): Promise<void>;
}

/** The SSM calls of a session, to the server the flags, the environment or the data dir's client.json name. */
export function sessionApi(flags: ApiFlags): SessionApi {
  const api = resolveApi(flags);
  const client = ssmClient(api);
  const terminate = async (sessionId: string) => {
    await client.send(new TerminateSessionCommand({ SessionId: sessionId }));
  };
  return {
    client,
    ca: api.ca ? trusted(api.ca) : undefined,
    async start(input) {
      const r = await client.send(new StartSessionCommand(input));
      if (!r.SessionId || !r.TokenValue || !r.StreamUrl) throw new CliError("StartSession answered without SessionId, TokenValue or StreamUrl");
      return { SessionId: r.SessionId, TokenValue: r.TokenValue, StreamUrl: r.StreamUrl };
    },
    async resume(sessionId) {
      const r = await client.send(new ResumeSessionCommand({ SessionId: sessionId }));
      return { tokenValue: r.TokenValue || undefined, streamUrl: r.StreamUrl || undefined };
    },
    terminate,
    async abandon(sessionId, ms = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((r) => {
        timer = setTimeout(r, ms);
      });
      const ended = terminate(sessionId).catch((e: Error) => {
        process.stderr.write(`openssm: could not terminate session ${sessionId}: ${e.message}\n`);
      });
      await Promise.race([ended, deadline]);
      clearTimeout(timer);
    },
  };
}

import type { DecodedAgentMessage } from "@openssm/protocol";
import { PayloadType } from "@openssm/protocol";
import { apiError, type SessionApi } from "./api.js";
import { ClientChannel } from "./client-channel.js";
import { StdioForwarding } from "./stdio-forwarding.js";

export interface ShellRequest {
  target: string;
  documentName?: string;
  parameters?: Record<string, string[]>;
  reason?: string;
}

/**
 * `openssm session start`: a shell (or command) on the node in this terminal, as the
 * session-manager-plugin gives one: raw keys to the node, its output here, the terminal size
 * followed. Resolves with the exit code: the command's for NonInteractiveCommands, else 0.
 */
export async function runShell(api: SessionApi, req: ShellRequest): Promise<number> {
  let started: Awaited<ReturnType<SessionApi["start"]>>;
  try {
    started = await api.start({ Target: req.target, DocumentName: req.documentName, Parameters: req.parameters, Reason: req.reason });
  } catch (e) {
    throw apiError("StartSession", e);
  }
  const sessionId = started.SessionId;
  const stdin = process.stdin;
  const stdout = process.stdout;
  const tty = Boolean(stdin.isTTY);
  let exitCode = 0;
  let wired = false;
  /** The session cannot go on from here (lost, or a signal): it is terminated before this returns. */
  let lost = false;
  let stdio: StdioForwarding | undefined;
  let finish!: (code: number) => void;
  const done = new Promise<number>((r) => {
    finish = r;
  });

  const restore = () => {
    if (tty && stdin.isRaw) stdin.setRawMode(false);
    stdin.pause();
  };

  const sendSize = () => {
    if (!stdout.isTTY) return;
    channel.stream.sendJson(PayloadType.Size, { cols: stdout.columns, rows: stdout.rows });
  };

  const wireTerminal = () => {
    if (wired) return;
    wired = true;
    if (tty) stdin.setRawMode(true);
    stdin.on("data", (d: Buffer) => {
      // The plugin turns a lone newline into carriage return (Enter) for the remote terminal.
      channel.stream.sendData(PayloadType.Output, d.length === 1 && d[0] === 10 ? Buffer.from([13]) : d);
    });
    stdin.resume();
    sendSize();
    stdout.on("resize", sendSize);
  };

  const channel = new ClientChannel({
    sessionId,
    streamUrl: started.StreamUrl,
    tokenValue: started.TokenValue,
    ca: api.ca,
    resume: () => api.resume(sessionId),
    onSessionType: (type, properties) => {
      if (type === "Port") {
        // AWS-StartSSHSession and other Port documents without LocalPortForwarding: bytes on stdin/stdout.
        stdio = new StdioForwarding(channel, properties);
        stdio.start();
      } else wireTerminal();
    },
    onOutput: (msg: DecodedAgentMessage) => {
      if (stdio) return stdio.output(msg);
      switch (msg.payloadType) {
        case PayloadType.Output:
          stdout.write(msg.payload);
          break;
        case PayloadType.StdErr:
          process.stderr.write(msg.payload);
          break;
        case PayloadType.ExitCode: {
          const m = /EXIT_CODE:\s*(-?\d+)/.exec(msg.payload.toString("utf8"));
          if (m) exitCode = Number(m[1]);
          break;
        }
      }
      return true;
    },
    onClosed: (output) => {
      restore();
      if (!stdio)
        stdout.write(output ? `\r\n\r\nSessionId: ${sessionId} : ${output}\r\n\r\n` : `\r\n\r\nExiting session with sessionId: ${sessionId}.\r\n\r\n`);
      finish(exitCode);
    },
    onLost: (reason) => {
      restore();
      process.stderr.write(`\nopenssm: the connection to session ${sessionId} was lost: ${reason}\n`);
      lost = true;
      finish(1);
    },
    onNotice: (text) => process.stderr.write(`${text}\n`),
  });

  stdout.write(`\nStarting session with SessionId: ${sessionId}\n`);
  // From here on the session exists on the server and a shell may already run on the node: whatever
  // stops this client ends the session too, rather than leaving it to the idle timeout.
  const onSignal = (signal: NodeJS.Signals) => {
    restore();
    process.stderr.write(`\nopenssm: ${signal}: terminating session ${sessionId}\n`);
    lost = true;
    finish(signal === "SIGINT" ? 130 : 143);
  };
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const signal of signals) process.on(signal, onSignal);
  try {
    try {
      await Promise.race([channel.open(), done]);
    } catch (e) {
      lost = true;
      throw apiError("OpenDataChannel", e);
    }
    return await done;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    if (lost) {
      await channel.close(0);
      await api.abandon(sessionId);
    } else await channel.close(500);
  }
}

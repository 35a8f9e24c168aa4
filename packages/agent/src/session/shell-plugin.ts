import { type DecodedAgentMessage, PayloadType } from "@openssm/protocol";
import type { IPty } from "node-pty";
import { chunks, deferred, type PluginContext, type PluginResult, type SessionPlugin } from "./plugin.js";
import { spawnPty } from "./pty-process.js";
import { RunAsError, sessionUser } from "./run-as.js";

/** amazon-ssm-agent's stream data payload size: output goes out in messages of at most 1 KiB. */
const PAYLOAD_SIZE = 1024;

/** The commands of an InteractiveCommands document for this platform. */
export function platformCommands(properties: Record<string, unknown>): string | undefined {
  const key = process.platform === "darwin" ? "macos" : process.platform === "win32" ? "windows" : "linux";
  const p = properties[key] as { commands?: unknown } | undefined;
  const c = p?.commands;
  if (Array.isArray(c)) return c.map(String).join("\n");
  return typeof c === "string" && c.trim() ? c : undefined;
}

/**
 * Standard_Stream (an interactive shell) and InteractiveCommands (one command) in a pseudo-terminal:
 * client keys go to the terminal, its output to the client, terminal size follows the client's
 * (PayloadType Size). The session ends when the shell or command exits.
 */
export class ShellPlugin implements SessionPlugin {
  private pty?: IPty;
  private result = deferred<PluginResult>();
  readonly done = this.result.promise;
  private stopped = false;
  private cols = 200;
  private rows = 60;

  constructor(
    private readonly ctx: PluginContext,
    private readonly command?: string,
  ) {}

  async start(): Promise<void> {
    let user: Awaited<ReturnType<typeof sessionUser>>;
    try {
      user = await sessionUser(this.ctx.runAsEnabled, this.ctx.runAsUser, this.ctx.log);
    } catch (e) {
      const message = e instanceof RunAsError ? e.message : `could not prepare the session user: ${(e as Error).message}`;
      this.fail(message);
      return;
    }
    const size = { cols: this.cols, rows: this.rows };
    try {
      this.pty = await spawnPty({ user, command: this.command, ...size });
    } catch (e) {
      this.fail(`Failed to start pty: ${(e as Error).message}`);
      return;
    }
    const pty = this.pty;
    // A size that came while the terminal was being created applies now.
    if (this.cols !== size.cols || this.rows !== size.rows) pty.resize(this.cols, this.rows);
    pty.onData((text) => {
      for (const part of chunks(Buffer.from(text, "utf8"), PAYLOAD_SIZE)) this.ctx.stream.sendData(PayloadType.Output, part);
    });
    pty.onExit(({ exitCode }) => {
      this.pty = undefined;
      this.result.resolve({ status: this.stopped ? "Cancelled" : "Success", output: `exit code ${exitCode}` });
    });
    if (this.stopped) pty.kill();
    else if (this.command === undefined && this.ctx.shellProfile.trim()) pty.write(`${this.ctx.shellProfile}\n`);
  }

  private fail(message: string): void {
    this.ctx.log.warn({ sessionId: this.ctx.sessionId, message }, "the session could not start");
    this.ctx.stream.sendData(PayloadType.Output, Buffer.from(`${message}\r\n`, "utf8"));
    this.result.resolve({ status: "Failed", output: message });
  }

  input(msg: DecodedAgentMessage): boolean {
    const pty = this.pty;
    if (msg.payloadType === PayloadType.Size) {
      try {
        const s = JSON.parse(msg.payload.toString("utf8")) as { cols?: number; rows?: number };
        if (Number.isInteger(s.cols) && Number.isInteger(s.rows) && (s.cols as number) > 0 && (s.rows as number) > 0) {
          this.cols = s.cols as number;
          this.rows = s.rows as number;
          pty?.resize(this.cols, this.rows);
        }
      } catch {
        // not a size: ignored, as the agent does
      }
      return true;
    }
    if (msg.payloadType === PayloadType.Output) {
      // Keys typed before the terminal exists are not taken: the client sends them again.
      if (!pty) return this.stopped;
      pty.write(msg.payload.toString("utf8"));
      return true;
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.pty) this.pty.kill("SIGHUP");
    else this.result.resolve({ status: "Cancelled", output: "" });
  }
}

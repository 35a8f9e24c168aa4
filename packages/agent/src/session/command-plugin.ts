import { type ChildProcess, spawn } from "node:child_process";
import { type DecodedAgentMessage, PayloadType } from "@openssm/protocol";
import { chunks, deferred, type PluginContext, type PluginResult, type SessionPlugin } from "./plugin.js";
import { RunAsError, sessionUser } from "./run-as.js";
import { platformCommands } from "./shell-plugin.js";

const PAYLOAD_SIZE = 1024;
/** Control characters the client sends for signals (Ctrl-C, Ctrl-\, Ctrl-Z). */
const SIGNALS: Record<number, NodeJS.Signals> = { 3: "SIGINT", 28: "SIGQUIT", 26: "SIGTSTP" };

function separateOutput(properties: Record<string, unknown>): boolean {
  const linux = (properties.linux ?? {}) as { separateOutputStream?: unknown };
  const v = linux.separateOutputStream;
  return v === true || v === "true";
}

/**
 * NonInteractiveCommands: one command without a terminal. Its output goes to the client (stderr apart
 * as StdErr when the document asks for separateOutputStream, then the exit code as ExitCode); client
 * input only carries signals.
 */
export class CommandPlugin implements SessionPlugin {
  private child?: ChildProcess;
  private result = deferred<PluginResult>();
  readonly done = this.result.promise;
  private stopped = false;

  constructor(private readonly ctx: PluginContext) {}

  async start(): Promise<void> {
    const command = platformCommands(this.ctx.properties);
    if (!command) return this.fail("The document gives no commands to run.");
    let user: Awaited<ReturnType<typeof sessionUser>>;
    try {
      user = await sessionUser(this.ctx.runAsEnabled, this.ctx.runAsUser, this.ctx.log);
    } catch (e) {
      return this.fail(e instanceof RunAsError ? e.message : (e as Error).message);
    }
    const separate = separateOutput(this.ctx.properties);
    const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
    const child = spawn("/bin/sh", ["-c", command], {
      cwd: "/",
      env: { ...process.env, HOME: user.home, USER: user.name, LOGNAME: user.name },
      ...(isRoot && user.uid !== 0 ? { uid: user.uid, gid: user.gid } : {}),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    const send = (type: number) => (data: Buffer) => {
      for (const part of chunks(data, PAYLOAD_SIZE)) this.ctx.stream.sendData(type, part);
    };
    child.stdout?.on("data", send(PayloadType.Output));
    child.stderr?.on("data", send(separate ? PayloadType.StdErr : PayloadType.Output));
    child.once("error", (e) => this.fail(`could not run the command: ${e.message}`));
    child.once("close", (code, signal) => {
      const exitCode = code ?? (signal ? 128 : 1);
      if (separate) this.ctx.stream.sendData(PayloadType.ExitCode, Buffer.from(`EXIT_CODE: ${exitCode}`));
      this.result.resolve({ status: this.stopped ? "Cancelled" : exitCode === 0 ? "Success" : "Failed", output: `exit code ${exitCode}` });
    });
  }

  private fail(message: string): void {
    this.ctx.stream.sendData(PayloadType.StdErr, Buffer.from(`${message}\n`));
    this.result.resolve({ status: "Failed", output: message });
  }

  input(msg: DecodedAgentMessage): boolean {
    if (msg.payloadType !== PayloadType.Output || !this.child) return true;
    for (const byte of msg.payload) {
      const sig = SIGNALS[byte];
      if (sig) {
        this.child.kill(sig);
        break;
      }
    }
    return true;
  }

  stop(): void {
    this.stopped = true;
    if (this.child && this.child.exitCode === null) this.child.kill("SIGTERM");
    else if (!this.child) this.result.resolve({ status: "Cancelled", output: "" });
  }
}

import type { Command } from "commander";
import { usageError } from "../errors.js";
import { withStorageOptions } from "../storage.js";
import { withApiOptions } from "../api-options.js";
import type { ApiFlags } from "../api-options.js";

const withSessionOptions = (cmd: Command) => withApiOptions(cmd).option("--reason <text>", "why the session is started (recorded with it)");

function port(flag: string, value: string | undefined, allowZero = false): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 65535) throw usageError(`${flag} must be a port number, got '${value}'`);
  return n;
}

/** `--parameters key=value,...` (repeatable) into StartSession's Parameters. */
function parameters(items: string[] | undefined): Record<string, string[]> | undefined {
  if (!items?.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq < 1) throw usageError(`--parameter takes name=value, got '${item}'`);
    const name = item.slice(0, eq);
    (out[name] ??= []).push(item.slice(eq + 1));
  }
  return out;
}

type StartFlags = ApiFlags & { target: string; documentName?: string; parameter?: string[]; reason?: string };

/**
 * `openssm session`: Session Manager from a terminal, speaking the session-manager-plugin's data
 * channel protocol to the server — shells, commands, port forwarding — and reading recordings.
 */
export function registerSessionCommands(program: Command): void {
  const session = program.command("session").description("start shells and port forwarding on managed nodes; read session recordings");

  withSessionOptions(session.command("start").description("open a shell (or run a Session document) on a managed node"))
    .requiredOption("--target <id>", "the managed node (mi-...)")
    .option("--document-name <name>", "a Session document (default SSM-SessionManagerRunShell)")
    .option("--parameter <name=value...>", "a document parameter (repeatable)")
    .action(async (o: StartFlags) => {
      const [{ sessionApi }, { runShell }] = await Promise.all([import("./api.js"), import("./shell-client.js")]);
      const api = sessionApi(o);
      const code = await runShell(api, { target: o.target, documentName: o.documentName, parameters: parameters(o.parameter), reason: o.reason });
      process.exit(code);
    });

  withSessionOptions(session.command("port-forward").description("forward a local port to a port on the node, or on a host the node reaches"))
    .requiredOption("--target <id>", "the managed node (mi-...)")
    .requiredOption("--remote-port <port>", "the port on the node (or on --remote-host)")
    .option("--local-port <port>", "the local port (default: a free one)", "0")
    .option("--remote-host <host>", "forward to this host through the node (AWS-StartPortForwardingSessionToRemoteHost)")
    .action(async (o: ApiFlags & { target: string; remotePort: string; localPort: string; remoteHost?: string; reason?: string }) => {
      const [{ sessionApi }, { runPortForward }] = await Promise.all([import("./api.js"), import("./port-forward.js")]);
      const api = sessionApi(o);
      const code = await runPortForward(
        api,
        {
          target: o.target,
          remotePort: port("--remote-port", o.remotePort),
          localPort: port("--local-port", o.localPort, true),
          remoteHost: o.remoteHost,
          reason: o.reason,
        },
        (line) => process.stdout.write(`${line}\n`),
      );
      process.exit(code);
    });

  withApiOptions(session.command("terminate").description("end a session").argument("<session-id>")).action(async (id: string, o: ApiFlags) => {
    const { sessionApi, apiError } = await import("./api.js");
    try {
      await sessionApi(o).terminate(id);
    } catch (e) {
      throw apiError("TerminateSession", e);
    }
  });

  withStorageOptions(session.command("log").description("print a session's recording (decrypted with the server's master key)").argument("<session-id>"))
    .option("--asciicast", "asciicast v2 (for asciinema play) instead of the plain transcript")
    .option("--input", "the transcript with what was typed as well as what was printed")
    .option("--info", "only who started the session, when, why, and its StartSession call (JSON)")
    .option("--output <file>", "write to this file (mode 0600) instead of stdout")
    .action(async (id: string, o) => (await import("./log-command.js")).sessionLog(id, o));
}

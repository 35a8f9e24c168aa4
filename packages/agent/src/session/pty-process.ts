import { existsSync } from "node:fs";
import type { IPty } from "node-pty";
import type { SessionUser } from "./run-as.js";

export interface PtyOptions {
  user: SessionUser;
  /** Run this with `sh -c` (InteractiveCommands); none: an interactive login shell. */
  command?: string;
  cols: number;
  rows: number;
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** The environment of a session shell: the agent's, with the user's identity and a terminal. */
function sessionEnv(user: SessionUser): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The agent's own settings and credentials stay with the agent.
    if (v !== undefined && !/^(OPENSSM_|AWS_)/.test(k)) env[k] = v;
  }
  env.TERM = "xterm-256color";
  if (!env.LANG) env.LANG = "C.UTF-8";
  env.HOME = user.home;
  env.USER = user.name;
  env.LOGNAME = user.name;
  env.SHELL = user.shell;
  return env;
}

/**
 * Starts the session's shell (or command) in a pseudo-terminal as the session user. When the agent
 * is root and the user is not, the process drops to the user's uid, gid and supplementary groups
 * (setpriv --init-groups), so it keeps none of root's.
 */
export async function spawnPty(o: PtyOptions): Promise<IPty> {
  const pty = await import("node-pty");
  const shell = /(^|\/)(nologin|false)$/.test(o.user.shell) ? "/bin/sh" : o.user.shell;
  const argv = o.command !== undefined ? ["/bin/sh", "-c", o.command] : [shell, "-l"];
  const dropPrivileges = isRoot() && o.user.uid !== 0;
  const [file, ...args] = dropPrivileges ? ["setpriv", `--reuid=${o.user.uid}`, `--regid=${o.user.gid}`, "--init-groups", "--", ...argv] : argv;
  const env = sessionEnv(o.user);
  return pty.spawn(file, args, {
    name: "xterm-256color",
    cols: Math.max(1, o.cols),
    rows: Math.max(1, o.rows),
    cwd: o.user.home && existsSync(o.user.home) ? o.user.home : "/",
    env,
  });
}

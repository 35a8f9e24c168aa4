import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import type { Logger } from "../log.js";

/** execFile as a promise (child_process is loaded by the bundle at the first call, not by an idle agent). */
function run(cmd: string, args: string[], options: { maxBuffer?: number; env?: NodeJS.ProcessEnv } = {}): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { ...options, encoding: "utf8" }, (err, stdout, stderr) => (err ? reject(err) : resolve({ stdout, stderr })));
  });
}

/** The OS account a session's shell runs as. */
export interface SessionUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

/** The user amazon-ssm-agent creates for sessions without Run As when it runs as root. */
export const DEFAULT_SESSION_USER = "ssm-user";
const SUDOERS_FILE = "/etc/sudoers.d/ssm-agent-users";

export class RunAsError extends Error {}

/** The account's passwd entry (through NSS when getent exists, else /etc/passwd). */
export async function lookupUser(name: string): Promise<SessionUser | undefined> {
  let line: string | undefined;
  try {
    line = (await run("getent", ["passwd", name])).stdout.trim().split("\n")[0];
  } catch {
    try {
      line = readFileSync("/etc/passwd", "utf8")
        .split("\n")
        .find((l) => l.startsWith(`${name}:`));
    } catch {
      line = undefined;
    }
  }
  if (!line) return undefined;
  const f = line.split(":");
  if (f.length < 7 || f[0] !== name) return undefined;
  return { name, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || "/", shell: f[6] || "/bin/sh" };
}

const isRoot = () => typeof process.getuid === "function" && process.getuid() === 0;

/** Creates ssm-user (and its sudoers rule) as amazon-ssm-agent does, when it does not exist. */
async function ensureDefaultUser(log: Logger): Promise<SessionUser> {
  const existing = await lookupUser(DEFAULT_SESSION_USER);
  if (existing) return existing;
  try {
    await run("useradd", ["-m", DEFAULT_SESSION_USER]);
    log.info({ user: DEFAULT_SESSION_USER }, "created the session user");
  } catch (e) {
    throw new RunAsError(`failed to create ${DEFAULT_SESSION_USER}: ${(e as Error).message}`);
  }
  if (existsSync("/etc/sudoers.d") && !existsSync(SUDOERS_FILE)) {
    try {
      writeFileSync(SUDOERS_FILE, `# User rules for ${DEFAULT_SESSION_USER}\n${DEFAULT_SESSION_USER} ALL=(ALL) NOPASSWD:ALL\n`, { mode: 0o440 });
    } catch (e) {
      log.warn({ err: e }, "could not write the sudoers rule of the session user");
    }
  }
  const created = await lookupUser(DEFAULT_SESSION_USER);
  if (!created) throw new RunAsError(`${DEFAULT_SESSION_USER} was created but cannot be looked up`);
  return created;
}

/**
 * Who a shell session runs as, the way amazon-ssm-agent decides: the Run As user when Run As is on
 * (the agent must be root and the user must exist); otherwise ssm-user when the agent is root
 * (created on first use), else the user the agent runs as.
 */
export async function sessionUser(runAsEnabled: boolean, runAsUser: string, log: Logger): Promise<SessionUser> {
  if (runAsEnabled) {
    const name = runAsUser.trim();
    if (!name) throw new RunAsError("please set the RunAs default user");
    if (!isRoot() && name !== userInfo().username) throw new RunAsError("the agent must run as root to use RunAs");
    const user = await lookupUser(name);
    if (!user) throw new RunAsError(`failed to start pty since RunAs user ${name} does not exist`);
    return user;
  }
  if (isRoot()) return ensureDefaultUser(log);
  const me = userInfo();
  return { name: me.username, uid: me.uid, gid: me.gid, home: me.homedir, shell: me.shell || "/bin/sh" };
}

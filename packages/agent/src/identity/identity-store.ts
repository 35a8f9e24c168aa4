import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { loadNodeKeyPair, type NodeKeyPair } from "./key-pair.js";

/** What `openssm-agent register` learns and `run` needs: saved as identity.json in the data dir. */
export interface NodeIdentity {
  instanceId: string;
  region: string;
  /** The SSM / ec2messages endpoint (http:// or https://). */
  endpoint: string;
  /** The server's TLS endpoint for the MGS control channel (https://host:port); none: polling only. */
  tlsEndpoint?: string;
  /** PEM file of the CA that signed the server's TLS certificate. */
  caFile?: string;
  /** The random fingerprint sent at registration and with every token request. */
  fingerprint: string;
  activationId: string;
  /** ComputerName to report instead of the host name (several agents on one machine). */
  name?: string;
  registeredAt: string;
}

const IDENTITY_FILE = "identity.json";
const KEY_FILE = "private-key.pem";

/** Default data dir: $OPENSSM_AGENT_DATA_DIR, /var/lib/openssm for root, ~/.local/state/openssm-agent otherwise. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.OPENSSM_AGENT_DATA_DIR) return resolve(env.OPENSSM_AGENT_DATA_DIR);
  if (typeof process.getuid === "function" && process.getuid() === 0) return "/var/lib/openssm";
  return join(homedir(), ".local", "state", "openssm-agent");
}

/** Writes a file atomically (temp file + rename) with the given mode. */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

export function ensureDir(dir: string, mode = 0o700): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode });
}

export class IdentityStore {
  constructor(readonly dataDir: string) {}

  get identityPath(): string {
    return join(this.dataDir, IDENTITY_FILE);
  }

  get keyPath(): string {
    return join(this.dataDir, KEY_FILE);
  }

  exists(): boolean {
    return existsSync(this.identityPath) && existsSync(this.keyPath);
  }

  load(): { identity: NodeIdentity; keys: NodeKeyPair } {
    if (!this.exists()) {
      throw new Error(`no identity in ${this.dataDir}: register this node first (openssm-agent register --code ... --id ... --data-dir ${this.dataDir})`);
    }
    const identity = JSON.parse(readFileSync(this.identityPath, "utf8")) as NodeIdentity;
    const keys = loadNodeKeyPair(readFileSync(this.keyPath, "utf8"));
    return { identity, keys };
  }

  save(identity: NodeIdentity, keys?: NodeKeyPair): void {
    ensureDir(this.dataDir);
    if (keys) writeFileAtomic(this.keyPath, keys.privateKeyPem, 0o600);
    writeFileAtomic(this.identityPath, `${JSON.stringify(identity, null, 2)}\n`, 0o600);
  }

  /** Replaces the private key after UpdateManagedInstancePublicKey succeeded. */
  saveKey(keys: NodeKeyPair): void {
    ensureDir(this.dataDir);
    writeFileAtomic(this.keyPath, keys.privateKeyPem, 0o600);
  }
}

import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import type { Logger } from "../log.js";
import { AwsError } from "../aws/aws-error.js";
import type { JsonClient } from "../aws/json-client.js";
import type { AccessKeys } from "@openssm/protocol";
import { callSsm, type RoleTokenOutput } from "../aws/ssm-api.js";
import type { IdentityStore, NodeIdentity } from "../identity/identity-store.js";
import { writeFileAtomic } from "../identity/identity-store.js";
import { generateNodeKeyPair, loadNodeKeyPair, type NodeKeyPair } from "../identity/key-pair.js";

export interface TemporaryCredentials extends AccessKeys {
  expiresAt: number;
  issuedAt: number;
}

function epochMs(v: number | string): number {
  if (typeof v === "number") return v < 1e12 ? v * 1000 : v;
  const n = Number(v);
  if (Number.isFinite(n)) return n < 1e12 ? n * 1000 : n;
  return Date.parse(v);
}

/**
 * The node's temporary credentials: RequestManagedInstanceRoleToken signed with the node's RSA key,
 * cached, refreshed in the background at half life. When the server answers UpdateKeyPair, the key
 * is rotated with UpdateManagedInstancePublicKey (the new key is kept beside the old one until the
 * server has accepted it, so a crash in between never locks the node out).
 */
export class RoleCredentials {
  private current?: TemporaryCredentials;
  private inflight?: Promise<TemporaryCredentials>;
  private refreshTimer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly ssm: JsonClient,
    private readonly identity: NodeIdentity,
    private keys: NodeKeyPair,
    private readonly log: Logger,
    private readonly store?: IdentityStore,
  ) {}

  /** Valid credentials (fetching them when there are none or they are about to expire). */
  async get(): Promise<TemporaryCredentials> {
    const now = Date.now();
    if (this.current && now < this.current.expiresAt - 30_000) return this.current;
    return this.refresh();
  }

  /** Forgets the cached credentials (after the server refused them). */
  invalidate(): void {
    this.current = undefined;
  }

  refresh(): Promise<TemporaryCredentials> {
    if (!this.inflight) {
      this.inflight = this.fetch().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  stop(): void {
    this.stopped = true;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
  }

  private async fetch(): Promise<TemporaryCredentials> {
    const out = await this.requestToken(this.keys).catch(async (e) => {
      const pending = this.pendingKey();
      if (!pending) throw e;
      // A rotation may have reached the server but not the disk: try the new key.
      const r = await this.requestToken(pending);
      this.adoptKey(pending);
      return r;
    });
    const issuedAt = Date.now();
    const expiresAt = epochMs(out.TokenExpirationDate);
    this.current = { accessKeyId: out.AccessKeyId, secretAccessKey: out.SecretAccessKey, sessionToken: out.SessionToken, issuedAt, expiresAt };
    this.scheduleRefresh();
    if (out.UpdateKeyPair) await this.rotateKey().catch((e) => this.log.warn({ err: e }, "key rotation failed; keeping the current key"));
    return this.current;
  }

  private requestToken(keys: NodeKeyPair): Promise<RoleTokenOutput> {
    return callSsm<RoleTokenOutput>(
      this.ssm,
      "RequestManagedInstanceRoleToken",
      { Fingerprint: this.identity.fingerprint },
      { kind: "rsa", instanceId: this.identity.instanceId, privateKey: keys.privateKey },
    );
  }

  private scheduleRefresh(): void {
    if (this.stopped || !this.current) return;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const { issuedAt, expiresAt } = this.current;
    const delay = Math.max(5_000, Math.min((expiresAt - issuedAt) / 2, 2 ** 31 - 1));
    this.refreshTimer = setTimeout(() => {
      this.refresh().catch((e) => {
        this.log.warn({ err: e }, "refreshing credentials failed; retrying in 30 s");
        this.refreshTimer = setTimeout(() => this.refresh().catch(() => undefined), 30_000);
        this.refreshTimer.unref();
      });
    }, delay);
    this.refreshTimer.unref();
  }

  private get nextKeyPath(): string | undefined {
    return this.store ? `${this.store.keyPath}.next` : undefined;
  }

  private pendingKey(): NodeKeyPair | undefined {
    const p = this.nextKeyPath;
    if (!p || !existsSync(p)) return undefined;
    return loadNodeKeyPair(readFileSync(p, "utf8"));
  }

  private adoptKey(keys: NodeKeyPair): void {
    this.keys = keys;
    const p = this.nextKeyPath;
    if (p && this.store && existsSync(p)) renameSync(p, this.store.keyPath);
  }

  /** UpdateManagedInstancePublicKey, signed with the old key. */
  async rotateKey(): Promise<void> {
    const next = await generateNodeKeyPair();
    const p = this.nextKeyPath;
    if (p) writeFileAtomic(p, next.privateKeyPem, 0o600);
    try {
      await callSsm(
        this.ssm,
        "UpdateManagedInstancePublicKey",
        { NewPublicKey: next.publicKeyBase64, NewPublicKeyType: "Rsa" },
        { kind: "rsa", instanceId: this.identity.instanceId, privateKey: this.keys.privateKey },
      );
    } catch (e) {
      // a definite refusal: forget the new key; no answer: keep it, the server may have taken it
      if (p && e instanceof AwsError) rmSync(p, { force: true });
      throw e;
    }
    this.adoptKey(next);
    this.log.info({ instanceId: this.identity.instanceId }, "rotated the node's key pair");
  }
}

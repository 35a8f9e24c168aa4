import type { AnyDb } from "../storage/database.js";
import { ApiError } from "../errors.js";
import { type ParsedAuthorization, type SignableRequest, parseAuthorization, requestTime, verifyHmacSignature } from "./sigv4.js";
import { AWS_REGIONS, regionRefusal } from "../regions.js";
import { type ResolvedKey, resolveAccessKey, sha256 } from "./principals.js";

/**
 * Another way to prove who signed a request (the agents' RSA-signed SigV4 variant). Returns the
 * caller's key when this scheme recognises and verifies the request, undefined when it does not apply,
 * and throws an ApiError when it applies but fails.
 */
export type AuthScheme = (req: SignableRequest, auth: ParsedAuthorization, amzDate: string) => Promise<ResolvedKey | undefined>;

export interface Authenticated {
  key: ResolvedKey;
  region: string;
  service: string;
}

/**
 * Verifies SigV4 on a request against stored access keys, with a short in-memory cache of resolved
 * keys: the credential scope must name the service the endpoint serves and a region the server
 * accepts (`regions`, from --regions; AWS's region names when undefined).
 */
export class Authenticator {
  private cache = new Map<string, { key: ResolvedKey | undefined; until: number }>();
  private resolving = new Map<string, Promise<ResolvedKey | undefined>>();
  /** Bumped by `invalidate`: lookups begun before it do not fill the cache. */
  private generation = 0;
  private schemes: AuthScheme[] = [];
  private allowedRegions: ReadonlySet<string>;

  addScheme(scheme: AuthScheme): void {
    this.schemes.push(scheme);
  }

  constructor(
    private db: AnyDb,
    private masterKey: Buffer,
    private cacheMs: number,
    private now: () => number,
    private regions?: readonly string[],
  ) {
    this.allowedRegions = new Set(regions ?? AWS_REGIONS);
  }

  /** Forgets cached keys (all, or those of one principal) after IAM changes made by this process. */
  invalidate(principalArn?: string): void {
    this.generation++;
    this.resolving.clear();
    if (!principalArn) this.cache.clear();
    else for (const [id, v] of this.cache) if (v.key?.principal.arn === principalArn) this.cache.delete(id);
  }

  async lookup(accessKeyId: string): Promise<ResolvedKey | undefined> {
    const wall = Date.now();
    const hit = this.cache.get(accessKeyId);
    if (hit && hit.until > wall) return hit.key;
    // One lookup per key at a time: the many requests that find the entry expired together share it.
    let pending = this.resolving.get(accessKeyId);
    if (!pending) {
      const generation = this.generation;
      const reading: Promise<ResolvedKey | undefined> = resolveAccessKey(this.db, this.masterKey, accessKeyId)
        .then((key) => {
          // A key invalidated while it was being read is not cached from that read.
          if (generation === this.generation) {
            if (this.cache.size > 10000) this.cache.clear();
            this.cache.set(accessKeyId, { key, until: wall + this.cacheMs });
          }
          return key;
        })
        .finally(() => {
          if (this.resolving.get(accessKeyId) === reading) this.resolving.delete(accessKeyId);
        });
      this.resolving.set(accessKeyId, reading);
      pending = reading;
    }
    return pending;
  }

  /**
   * Authenticates a request to one of the server's endpoints: `service` is the signing name that
   * endpoint answers (ssm, kms, ec2messages, ssmmessages, sts).
   */
  async authenticate(req: SignableRequest, service: string): Promise<Authenticated> {
    const { auth, amzDate } = this.signedFor(req, service);
    for (const scheme of this.schemes) {
      const k = await scheme(req, auth, amzDate);
      if (k) return { key: k, region: auth.region, service: auth.service };
    }
    const key = await this.storedKey(req, auth);
    verifyHmacSignature(req, auth, key.secret, amzDate);
    return { key, region: auth.region, service: auth.service };
  }

  /**
   * Everything `authenticate` checks but the signature itself (which covers the body's hash): the
   * Authorization header, its scope and time, and a stored, active access key with its session token.
   * A large body is read only for a caller who passes this. Another scheme's credentials (a node's RSA
   * key) do not pass: they sign none of the operations whose bodies are read apart.
   */
  async precheck(req: SignableRequest, service: string): Promise<void> {
    await this.storedKey(req, this.signedFor(req, service).auth);
  }

  /** The Authorization header, parsed, scoped to `service` and an allowed region, and in time. */
  private signedFor(req: SignableRequest, service: string): { auth: ParsedAuthorization; amzDate: string } {
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) throw new ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 400);
    const auth = parseAuthorization(value);
    this.checkScope(req, auth, service);
    // The 15-minute skew window is about the caller's real clock, so it uses wall time even when
    // a test has moved the server's clock (which still decides when temporary credentials expire).
    return { auth, amzDate: requestTime(req, auth, Date.now()) };
  }

  /** The stored access key the request names: active, and with its session token when it has one. */
  private async storedKey(req: SignableRequest, auth: ParsedAuthorization): Promise<ResolvedKey> {
    const key = await this.lookup(auth.accessKeyId);
    if (!key || key.status !== "Active") {
      throw new ApiError("UnrecognizedClientException", "The security token included in the request is invalid.");
    }
    if (key.sessionTokenHash) {
      const token = req.headers["x-amz-security-token"];
      const t = Array.isArray(token) ? token[0] : token;
      if (!t || sha256(t) !== key.sessionTokenHash) {
        throw new ApiError("UnrecognizedClientException", "The security token included in the request is invalid.");
      }
      if (key.expiresAt !== null && key.expiresAt < this.now()) {
        throw new ApiError("ExpiredTokenException", "The security token included in the request is expired");
      }
    }
    return key;
  }

  /** What the signature is scoped to and covers, checked before any key is looked up. */
  private checkScope(req: SignableRequest, auth: ParsedAuthorization, service: string): void {
    // AWS's own answer, word for word (trailing space included), for a credential scoped to another service.
    if (auth.service !== service) throw new ApiError("InvalidSignatureException", `Credential should be scoped to correct service: '${service}'. `);
    if (!this.allowedRegions.has(auth.region)) {
      throw new ApiError("InvalidSignatureException", regionRefusal(auth.region, [...this.allowedRegions], this.regions !== undefined));
    }
    // The target names the operation: unsigned, a captured request could be replayed as another one.
    if (req.headers["x-amz-target"] !== undefined && !auth.signedHeaders.includes("x-amz-target")) {
      throw new ApiError("IncompleteSignatureException", "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
    }
  }
}

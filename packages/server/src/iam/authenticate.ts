import type { AnyDb } from "../storage/database.js";
import { ApiError } from "../http/errors.js";
import { type ParsedAuthorization, type SignableRequest, parseAuthorization, requestTime, verifyHmacSignature } from "../http/sigv4.js";
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

/** Verifies SigV4 on a request against stored access keys, with a short in-memory cache of resolved keys. */
export class Authenticator {
  private cache = new Map<string, { key: ResolvedKey | undefined; until: number }>();
  private schemes: AuthScheme[] = [];

  addScheme(scheme: AuthScheme): void {
    this.schemes.push(scheme);
  }

  constructor(
    private db: AnyDb,
    private masterKey: Buffer,
    private cacheMs: number,
    private now: () => number,
  ) {}

  /** Forgets cached keys (all, or those of one principal) after IAM changes made by this process. */
  invalidate(principalArn?: string): void {
    if (!principalArn) this.cache.clear();
    else for (const [id, v] of this.cache) if (v.key?.principal.arn === principalArn) this.cache.delete(id);
  }

  async lookup(accessKeyId: string): Promise<ResolvedKey | undefined> {
    const wall = Date.now();
    const hit = this.cache.get(accessKeyId);
    if (hit && hit.until > wall) return hit.key;
    const key = await resolveAccessKey(this.db, this.masterKey, accessKeyId);
    if (this.cache.size > 10000) this.cache.clear();
    this.cache.set(accessKeyId, { key, until: wall + this.cacheMs });
    return key;
  }

  async authenticate(req: SignableRequest): Promise<Authenticated> {
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    if (!value) throw new ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 400);
    const auth = parseAuthorization(value);
    // The 15-minute skew window is about the caller's real clock, so it uses wall time even when
    // a test has moved the server's clock (which still decides when temporary credentials expire).
    const amzDate = requestTime(req, auth, Date.now());
    for (const scheme of this.schemes) {
      const k = await scheme(req, auth, amzDate);
      if (k) return { key: k, region: auth.region, service: auth.service };
    }
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
    verifyHmacSignature(req, auth, key.secret, amzDate);
    return { key, region: auth.region, service: auth.service };
  }
}

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerConfig } from "../../config.js";
import type { AnyDb } from "../../storage/database.js";
import { issueServerCertificate, loadCertificateAuthority } from "./certificate-authority.js";

export interface ListenerCertificate {
  key: string;
  cert: string;
  /** Where the CA certificate was written for operators (absent with the operator's own certificate). */
  caFile?: string;
  hostnames: string[];
}

/**
 * The key and certificate of the TLS listener: the operator's (--tls-cert / --tls-key), or one issued
 * at each start by the installation's own CA for --tls-hostname. The CA certificate (public) is written
 * to <data dir>/tls/openssm-ca.pem so nodes can be told to trust it.
 */
export async function listenerCertificate(config: ServerConfig, db: AnyDb, masterKey: Buffer, now: number): Promise<ListenerCertificate> {
  if (config.tlsCertFile || config.tlsKeyFile) {
    if (!config.tlsCertFile || !config.tlsKeyFile) throw new Error("--tls-cert and --tls-key go together: give both files, or neither for the built-in CA");
    return { cert: readFileSync(config.tlsCertFile, "utf8"), key: readFileSync(config.tlsKeyFile, "utf8"), hostnames: config.tlsHostnames };
  }
  const ca = await loadCertificateAuthority(db, masterKey, now);
  const issued = await issueServerCertificate(ca, config.tlsHostnames, now);
  const dir = join(config.dataDir, "tls");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caFile = join(dir, "openssm-ca.pem");
  writeFileSync(caFile, ca.certPem, { mode: 0o644 });
  return { cert: issued.certPem + ca.certPem, key: issued.keyPem, caFile, hostnames: config.tlsHostnames };
}

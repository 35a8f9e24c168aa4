import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { seal, unseal } from "../../crypto/seal.js";
import type { AnyDb } from "../../storage/database.js";
import { agentDb } from "../tables.js";

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const CA_ID = "default";
const CA_AAD = "agent-tls-ca";
const DAY = 24 * 60 * 60 * 1000;

export interface CertificateAuthority {
  cert: x509.X509Certificate;
  certPem: string;
  privateKey: CryptoKey;
}

export interface ServerCertificate {
  certPem: string;
  keyPem: string;
}

/** Positive random serial (the high bit clear, as X.509 wants a positive INTEGER). */
function serial(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f;
  return b.toString("hex");
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .trim();
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

async function createAuthority(now: number): Promise<{ certPem: string; pkcs8: Buffer }> {
  const keys = (await subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=openssm agent CA ${new Date(now).toISOString().slice(0, 10)}, O=openssm`,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 10 * 365 * DAY),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await subtle.exportKey("pkcs8", keys.privateKey));
  return { certPem: cert.toString("pem"), pkcs8 };
}

/**
 * The installation's CA: created once and kept in storage (its private key sealed under the master
 * key), so every replica signs with the same CA and nodes trust one certificate.
 */
export async function loadCertificateAuthority(db: AnyDb, masterKey: Buffer, now: number): Promise<CertificateAuthority> {
  const d = agentDb(db);
  let row = await d.selectFrom("agent_tls_ca").selectAll().where("id", "=", CA_ID).executeTakeFirst();
  if (!row) {
    const made = await createAuthority(now);
    await d
      .insertInto("agent_tls_ca")
      .values({ id: CA_ID, cert_pem: made.certPem, key_sealed: seal(masterKey, made.pkcs8, CA_AAD), created_at: now })
      .onConflict((oc) => oc.doNothing())
      .execute();
    row = await d.selectFrom("agent_tls_ca").selectAll().where("id", "=", CA_ID).executeTakeFirstOrThrow();
  }
  const pkcs8 = unseal(masterKey, Buffer.from(row.key_sealed), CA_AAD);
  const privateKey = await subtle.importKey("pkcs8", new Uint8Array(pkcs8), ALGORITHM, false, ["sign"]);
  return { cert: new x509.X509Certificate(row.cert_pem), certPem: row.cert_pem, privateKey };
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A server certificate for these host names and IP addresses, signed by the CA; its key stays in memory. */
export async function issueServerCertificate(ca: CertificateAuthority, hostnames: string[], now: number): Promise<ServerCertificate> {
  if (hostnames.length === 0) throw new Error("the TLS certificate needs at least one host name or IP address (--tls-hostname)");
  const keys = (await subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const names = hostnames.map((h) => ({ type: IPV4.test(h) || h.includes(":") ? ("ip" as const) : ("dns" as const), value: h }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${hostnames[0]}, O=openssm`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 397 * DAY),
    signingAlgorithm: ALGORITHM,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    certPem: `${cert.toString("pem")}\n`,
    keyPem: pem("PRIVATE KEY", await subtle.exportKey("pkcs8", keys.privateKey)),
  };
}

/** The installation CA's certificate (public), for one replica to trust another's TLS listener; undefined before the CA exists. */
export async function caCertificatePem(db: AnyDb): Promise<string | undefined> {
  const row = await agentDb(db).selectFrom("agent_tls_ca").select("cert_pem").where("id", "=", CA_ID).executeTakeFirst();
  return row?.cert_pem;
}

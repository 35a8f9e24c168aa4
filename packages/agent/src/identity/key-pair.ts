import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from "node:crypto";

export interface NodeKeyPair {
  privateKey: KeyObject;
  /** PEM (PKCS#8) of the private key, as stored on disk. */
  privateKeyPem: string;
  /** base64 of the SubjectPublicKeyInfo DER, as RegisterManagedInstance's PublicKey wants it. */
  publicKeyBase64: string;
}

/** A fresh RSA-2048 key pair (what amazon-ssm-agent generates; PublicKeyType "Rsa"). */
export function generateNodeKeyPair(): Promise<NodeKeyPair> {
  return new Promise((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: 2048, publicExponent: 0x10001 }, (err, publicKey, privateKey) => {
      if (err) return reject(err);
      resolve({
        privateKey,
        privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        publicKeyBase64: publicKey.export({ type: "spki", format: "der" }).toString("base64"),
      });
    });
  });
}

/** Loads a stored private key (PEM) with its public half. */
export function loadNodeKeyPair(privateKeyPem: string): NodeKeyPair {
  const privateKey = createPrivateKey(privateKeyPem);
  return {
    privateKey,
    privateKeyPem,
    publicKeyBase64: createPublicKey(privateKey).export({ type: "spki", format: "der" }).toString("base64"),
  };
}

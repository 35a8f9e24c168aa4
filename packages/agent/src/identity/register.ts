import { randomUUID } from "node:crypto";
import { AwsError } from "../aws/aws-error.js";
import type { HttpTransport } from "../aws/http-transport.js";
import { JsonClient } from "../aws/json-client.js";
import { callSsm } from "../aws/ssm-api.js";
import type { NodeIdentity } from "./identity-store.js";
import { generateNodeKeyPair, type NodeKeyPair } from "./key-pair.js";

export interface RegistrationRequest {
  activationCode: string;
  activationId: string;
  region: string;
  endpoint: string;
  tlsEndpoint?: string;
  caFile?: string;
  name?: string;
  /** A key pair to use instead of a fresh one (the simulator may share one between nodes). */
  keys?: NodeKeyPair;
}

export class RegistrationError extends Error {}

/**
 * Hybrid-activation registration as amazon-ssm-agent does it: a fresh RSA-2048 key pair, a random
 * fingerprint, and an unsigned RegisterManagedInstance that answers the node's mi- id.
 */
export async function registerNode(req: RegistrationRequest, http: HttpTransport): Promise<{ identity: NodeIdentity; keys: NodeKeyPair }> {
  const keys = req.keys ?? (await generateNodeKeyPair());
  const fingerprint = randomUUID();
  const client = new JsonClient(req.endpoint, req.region, http);
  let out: { InstanceId?: string };
  try {
    out = await callSsm<{ InstanceId?: string }>(
      client,
      "RegisterManagedInstance",
      { ActivationCode: req.activationCode, ActivationId: req.activationId, PublicKey: keys.publicKeyBase64, PublicKeyType: "Rsa", Fingerprint: fingerprint },
      { kind: "anonymous" },
    );
  } catch (e) {
    if (e instanceof AwsError) throw new RegistrationError(`registration refused: ${e.code}: ${e.detail}`);
    const err = e as NodeJS.ErrnoException;
    throw new RegistrationError(`could not reach ${req.endpoint}: ${err.code ?? ""} ${err.message}`.trim());
  }
  if (!out.InstanceId) throw new RegistrationError("the server answered RegisterManagedInstance without an InstanceId");
  const identity: NodeIdentity = {
    instanceId: out.InstanceId,
    region: req.region,
    endpoint: req.endpoint,
    tlsEndpoint: req.tlsEndpoint,
    caFile: req.caFile,
    fingerprint,
    activationId: req.activationId,
    name: req.name,
    registeredAt: new Date().toISOString(),
  };
  return { identity, keys };
}

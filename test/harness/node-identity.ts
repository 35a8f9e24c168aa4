import { generateKeyPairSync, type KeyObject, randomUUID } from "node:crypto";
import { request } from "node:http";
import { GetConnectionStatusCommand, type SSMClient } from "@aws-sdk/client-ssm";
import { signRsa } from "@openssm/protocol";
import type { Credentials } from "./server.js";

/**
 * A managed node's identity, done as the real amazon-ssm-agent does it and written from the
 * protocol only (shares no code with the server or the agent package but the SigV4 signer of
 * @openssm/protocol, itself checked against AWS's test vectors): an RSA-2048 key pair,
 * RegisterManagedInstance unsigned, then RequestManagedInstanceRoleToken and
 * UpdateManagedInstancePublicKey signed with the RSA-PSS variant of SigV4.
 */
export interface NodeCredentials extends Credentials {
  sessionToken: string;
  expiresAt: Date;
  updateKeyPair: boolean;
}

export interface ApiReply {
  status: number;
  body: any;
  /** the error's __type, when the call failed */
  error?: string;
}

function newKeyPair(): { privateKey: KeyObject; publicKeyBase64: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { privateKey, publicKeyBase64: publicKey.export({ format: "der", type: "spki" }).toString("base64") };
}

export class NodeIdentity {
  instanceId?: string;
  /** the agent keeps a random UUID as its fingerprint */
  readonly fingerprint = randomUUID();
  private keys = newKeyPair();

  constructor(
    private endpoint: string,
    readonly region = "us-east-1",
    /** added to the wall clock when dating signatures (for servers with a moved test clock) */
    public clockOffsetMs = 0,
  ) {}

  get publicKey(): string {
    return this.keys.publicKeyBase64;
  }

  /** RegisterManagedInstance with an activation code and id: unsigned, as the agent's anonymous client sends it. */
  async register(activationId: string, activationCode: string): Promise<ApiReply> {
    const reply = await this.call("RegisterManagedInstance", {
      ActivationCode: activationCode,
      ActivationId: activationId,
      PublicKey: this.keys.publicKeyBase64,
      PublicKeyType: "Rsa",
      Fingerprint: this.fingerprint,
    });
    if (!reply.error) this.instanceId = reply.body.InstanceId;
    return reply;
  }

  /** Registers or throws with the server's error. */
  async registerOrThrow(activationId: string, activationCode: string): Promise<string> {
    const r = await this.register(activationId, activationCode);
    if (r.error) throw new Error(`RegisterManagedInstance failed: ${r.error}: ${r.body.message ?? r.body.Message}`);
    return r.body.InstanceId;
  }

  async requestToken(fingerprint = this.fingerprint): Promise<ApiReply> {
    return this.call("RequestManagedInstanceRoleToken", { Fingerprint: fingerprint }, "rsa");
  }

  /** Temporary credentials for the node, or throws with the server's error. */
  async credentials(): Promise<NodeCredentials> {
    const r = await this.requestToken();
    if (r.error) throw new Error(`RequestManagedInstanceRoleToken failed: ${r.error}: ${r.body.message ?? r.body.Message}`);
    return {
      accessKeyId: r.body.AccessKeyId,
      secretAccessKey: r.body.SecretAccessKey,
      sessionToken: r.body.SessionToken,
      expiresAt: new Date(r.body.TokenExpirationDate * 1000),
      updateKeyPair: r.body.UpdateKeyPair,
    };
  }

  /** Rotates the key pair: UpdateManagedInstancePublicKey signed with the old key, then uses the new one. */
  async rotateKey(): Promise<ApiReply> {
    const next = newKeyPair();
    const r = await this.call("UpdateManagedInstancePublicKey", { NewPublicKey: next.publicKeyBase64, NewPublicKeyType: "Rsa" }, "rsa");
    if (!r.error) this.keys = next;
    return r;
  }

  /** An AmazonSSM call: unsigned, or RSA-signed with the node's key. */
  call(operation: string, input: unknown, signing: "none" | "rsa" = "none"): Promise<ApiReply> {
    const url = new URL(this.endpoint);
    const body = JSON.stringify(input);
    const headers: Record<string, string> = {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": `AmazonSSM.${operation}`,
      host: url.host,
      "content-length": String(Buffer.byteLength(body)),
    };
    if (signing === "rsa") {
      if (!this.instanceId) throw new Error("register the node before signing with its key");
      const signed = { method: "POST", url: new URL("/", url), headers, body };
      signRsa(signed, { region: this.region, service: "ssm" }, this.instanceId, this.keys.privateKey, new Date(Date.now() + this.clockOffsetMs));
    }
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: "/", method: "POST", headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: any = {};
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            parsed = { raw: text };
          }
          const status = res.statusCode ?? 0;
          resolve({ status, body: parsed, error: status >= 300 ? String(parsed.__type ?? res.headers["x-amzn-errortype"] ?? status) : undefined });
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  }
}

/**
 * Sends an agent-only SSM operation (UpdateInstanceInformation, ...) that the public SDK has no
 * command for, through an SSMClient: the request of a harmless public command is rewritten before
 * it is signed, so it carries the client's ordinary SigV4 signature and session token.
 */
export async function sendAgentOperation(client: SSMClient, operation: string, input: Record<string, unknown>): Promise<void> {
  const command = new GetConnectionStatusCommand({ Target: "rewritten" });
  command.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { headers: Record<string, string>; body: string };
      req.headers["x-amz-target"] = `AmazonSSM.${operation}`;
      req.body = JSON.stringify(input);
      req.headers["content-length"] = String(Buffer.byteLength(req.body));
      return next(args);
    },
    { step: "build", name: "openssmAgentOperation" },
  );
  await client.send(command);
}

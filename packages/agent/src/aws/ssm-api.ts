import type { CallAuth, JsonClient } from "./json-client.js";

/** AmazonSSM calls the agent makes (target prefix AmazonSSM, signing name ssm). */
export function callSsm<T>(client: JsonClient, operation: string, input: unknown, auth: CallAuth, timeoutMs?: number): Promise<T> {
  return client.call<T>({ targetPrefix: "AmazonSSM", service: "ssm", operation, input, auth, timeoutMs });
}

/** EC2WindowsMessageDeliveryService calls (the polling path, signing name ec2messages). */
export function callEc2Messages<T>(client: JsonClient, operation: string, input: unknown, auth: CallAuth, timeoutMs?: number): Promise<T> {
  return client.call<T>({ targetPrefix: "EC2WindowsMessageDeliveryService", service: "ec2messages", operation, input, auth, timeoutMs });
}

export interface RoleTokenOutput {
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  /** epoch seconds (JSON 1.1 timestamp) */
  TokenExpirationDate: number | string;
  UpdateKeyPair?: boolean;
}

import { readFileSync } from "node:fs";

/** A stripped AWS service model, as written by scripts/extract-model.py. */
export interface ServiceModel {
  metadata: {
    apiVersion: string;
    endpointPrefix: string;
    jsonVersion: string;
    protocol: string;
    serviceId: string;
    signingName?: string;
    targetPrefix: string;
  };
  operations: Record<string, OperationModel>;
  shapes: Record<string, Shape>;
}

export interface OperationModel {
  input?: string;
  output?: string;
  errors: string[];
}

export interface MemberRef {
  shape: string;
  idempotencyToken?: boolean;
  deprecated?: boolean;
  jsonvalue?: boolean;
}

export interface Shape {
  type: "string" | "map" | "blob" | "structure" | "list" | "long" | "boolean" | "timestamp" | "integer" | "double" | "float";
  required?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  sensitive?: boolean;
  exception?: boolean;
  members?: Record<string, MemberRef>;
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  error?: { code?: string; httpStatusCode?: number; senderFault?: boolean };
  union?: boolean;
  document?: boolean;
}

function loadModel(name: string): ServiceModel {
  const url = new URL(`../data/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as ServiceModel;
}

export const ssmModel: ServiceModel = loadModel("ssm");
export const kmsModel: ServiceModel = loadModel("kms");
/** openssm's admin API (OpenSSM.*): IAM's operations from its model, and the audit trail and event log. */
export const openssmModel: ServiceModel = loadModel("openssm");

/** The name of the message member of an exception shape (`message` or `Message`). */
export function exceptionMessageMember(model: ServiceModel, errorName: string): string {
  const shape = model.shapes[errorName];
  if (shape?.members) {
    for (const m of Object.keys(shape.members)) if (m.toLowerCase() === "message") return m;
  }
  return "message";
}

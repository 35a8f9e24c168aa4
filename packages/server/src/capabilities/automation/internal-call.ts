import { randomUUID } from "node:crypto";
import { kmsModel, type ServiceModel, ssmModel } from "@openssm/model";
import { ApiError } from "../../errors.js";
import { createRequestContext } from "../../http/request-context.js";
import type { RequestContext, Services } from "../../runtime.js";
import type { ExecutionIdentity } from "./identity.js";

/**
 * Calls an openssm API operation from inside an automation execution, as the execution's identity,
 * through the server's in-process API (`services.api`): the same model validation, authorization
 * (the identity's policies) and handler as a signed request, and an audit record whose source is
 * `automation:<execution id>` (a role's session ARN names the execution too). The result is the JSON
 * the wire would carry (timestamps as epoch seconds).
 */

const MODELS: Record<string, { model: ServiceModel; service: "ssm" | "kms" }> = {
  ssm: { model: ssmModel, service: "ssm" },
  kms: { model: kmsModel, service: "kms" },
};

/** "describe_instance_information" and "DescribeInstanceInformation" both name DescribeInstanceInformation. */
export function operationName(api: string): string {
  if (!api.includes("_") && /^[A-Z]/.test(api)) return api;
  return api
    .split("_")
    .filter(Boolean)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join("");
}

/**
 * Runbook values arrive typed by their references ({{ loop.CurrentIteration }} is a number); the API
 * wants its model's types: numbers and booleans become text where a string is expected, digits and
 * true/false become numbers and booleans where those are expected, one value becomes a list.
 */
export function coerceToModel(model: ServiceModel, shapeName: string | undefined, value: unknown): unknown {
  const shape = shapeName ? model.shapes[shapeName] : undefined;
  if (!shape || value === null || value === undefined) return value;
  switch (shape.type) {
    case "string":
      return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
    case "integer":
    case "long":
    case "double":
    case "float":
      return typeof value === "string" && value.trim() !== "" && Number.isFinite(Number(value)) ? Number(value) : value;
    case "boolean":
      return value === "true" ? true : value === "false" ? false : value;
    case "list": {
      const items = Array.isArray(value) ? value : [value];
      return items.map((v) => coerceToModel(model, shape.member?.shape, v));
    }
    case "map":
      if (typeof value !== "object" || Array.isArray(value)) return value;
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, coerceToModel(model, shape.value?.shape, v)]));
    case "structure":
      if (typeof value !== "object" || Array.isArray(value)) return value;
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, shape.members?.[k] ? coerceToModel(model, shape.members[k].shape, v) : v]),
      );
    default:
      return value;
  }
}

export interface CallOptions {
  executionId: string;
  scope: { accountId: string; region: string };
}

/** The context handed to handlers of calls an execution makes. */
export function executionContext(services: Services, identity: ExecutionIdentity, operation: string, opts: CallOptions): RequestContext {
  return createRequestContext(
    services,
    randomUUID(),
    operation,
    { accessKeyId: "", secret: "", sessionTokenHash: null, expiresAt: null, status: "Active", principal: identity.principal, policies: identity.policies },
    opts.scope.region,
    { sourceIp: `automation:${opts.executionId}`, secure: true },
  );
}

export async function callApi(
  services: Services,
  identity: ExecutionIdentity,
  service: string,
  api: string,
  input: Record<string, unknown>,
  opts: CallOptions,
): Promise<Record<string, unknown>> {
  const svc = service.toLowerCase();
  const name = operationName(api);
  if (svc === "sts") {
    if (name !== "GetCallerIdentity") throw new ApiError("InvalidAction", `openssm's STS answers only GetCallerIdentity, not ${name}.`);
    const p = identity.principal;
    return { Account: p.accountId, Arn: identity.auditArn, UserId: p.kind === "user" ? p.principalId : `${p.principalId}:${opts.executionId}` };
  }
  const entry = MODELS[svc];
  if (!entry) {
    throw new ApiError(
      "InvalidAutomationExecutionParametersException",
      `openssm runs API calls against its own services only (ssm, kms, sts); ${service} is not one of them.`,
    );
  }
  const shape = Object.hasOwn(entry.model.operations, name) ? entry.model.operations[name].input : undefined;
  return services.api.invoke({
    service: entry.service,
    operation: name,
    input: coerceToModel(entry.model, shape, input) as Record<string, unknown>,
    principal: identity.principal,
    policies: identity.policies,
    region: opts.scope.region,
    source: `automation:${opts.executionId}`,
    auditArn: identity.auditArn,
  });
}

import { randomUUID } from "node:crypto";
import { kmsModel, redactInput, type ServiceModel, ssmModel, validateInput } from "@openssm/model";
import { ApiError } from "../../http/errors.js";
import { createRequestContext } from "../../http/request-context.js";
import { toJson } from "../../http/serialize.js";
import type { Access, OperationDef, RequestContext, ResourceRef, Services } from "../../runtime.js";
import type { ExecutionIdentity } from "./identity.js";

/**
 * Calls an openssm API operation from inside an automation execution, as the execution's identity:
 * the same model validation, authorization (the identity's policies) and handler as a signed request,
 * and an audit record whose source is `automation:<execution id>` (a role's session ARN names the
 * execution too). The result is the JSON the wire would carry (timestamps as epoch seconds).
 */

const MODELS: Record<string, { model: ServiceModel; service: "ssm" | "kms" }> = {
  ssm: { model: ssmModel, service: "ssm" },
  kms: { model: kmsModel, service: "kms" },
};

let registry: Map<string, OperationDef<any, any, any>> | undefined;

/** Every operation the capabilities register, by "<service>:<Name>" (loaded on first use: the list includes this capability). */
async function operations(): Promise<Map<string, OperationDef<any, any, any>>> {
  if (!registry) {
    const { capabilities } = await import("../index.js");
    registry = new Map();
    for (const c of capabilities) for (const o of c.operations ?? []) registry.set(`${o.service}:${o.name}`, o);
  }
  return registry;
}

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
  const started = performance.now();
  const ctx = executionContext(services, identity, name, opts);
  let errorCode: string | null = null;
  let errorMessage: string | null = null;
  try {
    if (!Object.hasOwn(entry.model.operations, name)) throw new ApiError("UnknownOperationException", `${svc.toUpperCase()} has no operation ${name}.`);
    input = coerceToModel(entry.model, entry.model.operations[name].input, input) as Record<string, unknown>;
    const v = validateInput(entry.model, name, input);
    if (!v.ok) throw new ApiError(v.error, v.message);
    const def = (await operations()).get(`${entry.service}:${name}`);
    if (!def) throw new ApiError("UnsupportedOperationException", `openssm does not support the ${svc.toUpperCase()} operation ${name} yet.`);
    if (def.anonymous) throw new ApiError("AccessDeniedException", `${name} is an agent operation; automations cannot call it.`);
    let prepared: unknown;
    if (!def.listing) {
      if (!def.resources) throw new Error(`${name} declares no resources`);
      const declared = await def.resources(ctx, input);
      const access: Access<unknown> = Array.isArray(declared) ? { resources: declared as ResourceRef[], prepared: undefined } : declared;
      if (access.resources.length === 0) throw new Error(`${name} named no resource to authorize`);
      await ctx.authorize(`${entry.service}:${name}`, access.resources, access.context);
      prepared = access.prepared;
    }
    const output = await def.handle(ctx, input, prepared);
    return JSON.parse(toJson(output ?? {})) as Record<string, unknown>;
  } catch (e) {
    errorCode = e instanceof ApiError ? e.code : "InternalServerError";
    errorMessage = (e as Error).message;
    throw e;
  } finally {
    services.audit.record({
      time: services.clock.now(),
      requestId: ctx.requestId,
      accountId: opts.scope.accountId,
      region: opts.scope.region,
      principalArn: identity.auditArn,
      accessKeyId: null,
      sourceIp: `automation:${opts.executionId}`,
      service: entry.service,
      operation: name,
      parameters: Object.hasOwn(entry.model.operations, name) ? redactInput(entry.model, name, input) : {},
      errorCode,
      errorMessage,
      durationMs: performance.now() - started,
    });
  }
}

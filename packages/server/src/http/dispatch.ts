import { randomUUID } from "node:crypto";
import { exceptionMessageMember, kmsModel, openssmModel, redactInput, type ServiceModel, ssmModel, validateInput } from "@openssm/model";
import type { Authenticator } from "../iam/authenticate.js";
import { ANONYMOUS, type ResolvedKey } from "../iam/principals.js";
import type { Access, InternalApi, InternalCall, OperationDef, RequestContext, ResourceRef, Services } from "../runtime.js";
import { ApiError, callerFaultOf } from "../errors.js";
import { createRequestContext } from "./request-context.js";
import { toJson } from "./serialize.js";
import type { SignableRequest } from "../iam/sigv4.js";
import { MAX_AUDIT_PARAMETERS } from "../events/audit.js";
import { serverMetrics } from "../metrics/index.js";
import { type BodyJob, BodyThreads, OFF_THREAD_BYTES } from "./body-threads.js";
import { mayHoldNul, parseBody } from "./json-body.js";

export interface WireRequest extends SignableRequest {
  sourceIp: string;
  secure: boolean;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const ANONYMOUS_KEY: ResolvedKey = {
  accessKeyId: "",
  secret: "",
  sessionTokenHash: null,
  expiresAt: null,
  status: "Active",
  principal: ANONYMOUS,
  policies: [],
};

const EMPTY_MODEL: ServiceModel = { metadata: ssmModel.metadata, operations: {}, shapes: {} };

/**
 * Target prefixes and their models; ec2messages has no public model (its handlers validate input
 * themselves). `signingName`: the credential scope's service when it is not the service's own name
 * (the admin API is signed as `ssm`, with the same credentials and scope as the SSM API).
 */
const models: Record<string, { model: ServiceModel; service: OperationDef["service"]; signingName?: string }> = {
  AmazonSSM: { model: ssmModel, service: "ssm" },
  TrentService: { model: kmsModel, service: "kms" },
  EC2WindowsMessageDeliveryService: { model: EMPTY_MODEL, service: "ec2messages" },
  OpenSSM: { model: openssmModel, service: "openssm", signingName: "ssm" },
};

const PREFIX = { ssm: "AmazonSSM", kms: "TrentService", ec2messages: "EC2WindowsMessageDeliveryService", openssm: "OpenSSM" } as const;

/** The X-Amz-Target an operation answers: AmazonSSM.GetParameter, TrentService.Decrypt, ... */
export function targetOf(def: Pick<OperationDef, "service" | "name">): string {
  return `${PREFIX[def.service]}.${def.name}`;
}

/**
 * Routes AWS JSON 1.1 calls (X-Amz-Target) to the handlers the capabilities registered, and runs the
 * same operations in-process for the server's own callers (`invoke`, wired as `services.api`).
 */
export class Dispatcher implements InternalApi {
  private handlers = new Map<string, OperationDef<any, any, any>>();
  private bodyThreads = new BodyThreads();

  constructor(
    private services: Services,
    private authenticator: Authenticator,
  ) {}

  register(def: OperationDef<any, any, any>): void {
    const key = targetOf(def);
    if (this.handlers.has(key)) throw new Error(`operation ${key} registered twice`);
    const ways = [def.anonymous, def.listing, def.resources !== undefined].filter(Boolean).length;
    if (ways !== 1) {
      throw new Error(`operation ${key} must declare exactly one way to authorize (resources, listing or anonymous); it declares ${ways}`);
    }
    this.handlers.set(key, def);
  }

  /** The registered operations with their definitions (API workers pick the read-only ones). */
  operations(): OperationDef<any, any, any>[] {
    return [...this.handlers.values()];
  }

  implemented(): string[] {
    return [...this.handlers.keys()].sort();
  }

  async handle(target: string, req: WireRequest): Promise<WireResponse> {
    const started = performance.now();
    const requestId = randomUUID();
    const dot = target.indexOf(".");
    const prefix = dot > 0 ? target.slice(0, dot) : target;
    const name = dot > 0 ? target.slice(dot + 1) : "";
    const entry = Object.hasOwn(models, prefix) ? models[prefix] : undefined;
    let model: ServiceModel = entry?.model ?? ssmModel;
    let ctx: RequestContext | undefined;
    let input: unknown;
    let errorCode: string | null = null;
    let errorMessage: string | null = null;
    try {
      const def = this.handlers.get(target);
      const modelled = entry !== undefined && Object.hasOwn(entry.model.operations, name);
      if (!entry || (!modelled && !def)) {
        throw new ApiError("UnknownOperationException", `Unknown operation ${target || "(no X-Amz-Target header)"}`);
      }
      model = entry.model;
      // A large body of an operation that prepares off the event loop goes to a body thread first; its
      // payload hash then serves SigV4. Only a caller whose credentials check out up to the signature
      // gets its body read there; refusals of the body still come after authentication.
      const offThread = modelled && req.body.length >= OFF_THREAD_BYTES ? def?.offThread : undefined;
      if (offThread && !def?.anonymous) await this.authenticator.precheck(req, entry.signingName ?? entry.service);
      const thread = offThread
        ? await this.bodyThreads.run({
            model: entry.service as BodyJob["model"],
            operation: name,
            module: offThread.module,
            export: offThread.export,
            body: req.body,
          })
        : undefined;
      if (thread) serverMetrics(this.services).bodyThread(name, "input" in thread ? "prepared" : "refused" in thread ? "refused" : "failed");
      if (thread && "failed" in thread)
        this.services.log.warn({ requestId, operation: name, err: thread.failed }, "a body thread failed; handling the body here");
      const signed = thread ? { ...req, payloadHash: thread.sha256 } : req;
      // Anonymous operations (RegisterManagedInstance) skip SigV4 and policies; the handler checks its caller.
      const auth = def?.anonymous
        ? { key: ANONYMOUS_KEY, region: "us-east-1" }
        : await this.authenticator.authenticate(signed, entry.signingName ?? entry.service);
      if (thread && "refused" in thread) throw new ApiError(thread.refused.code, thread.refused.message, thread.refused.status, thread.refused.fields);
      const preparedOffThread = thread !== undefined && "input" in thread;
      input = preparedOffThread ? thread.input : parseBody(req.body);
      if (modelled && !preparedOffThread) {
        const v = validateInput(model, name, input, { noNul: !mayHoldNul(req.body) });
        if (!v.ok) throw new ApiError(v.error, v.message);
      }
      if (!def) {
        throw new ApiError("UnsupportedOperationException", `openssm does not support the ${entry.service.toUpperCase()} operation ${name} yet.`);
      }
      // Operations that prepare their input get it prepared here when no body thread did (the audit keeps the input as sent).
      const handlerInput = def.offThread && !preparedOffThread ? def.offThread.prepare(input) : input;
      ctx = this.context(requestId, name, auth.key, auth.region, req);
      const output = await this.run(ctx, def, def.action ?? `${entry.service}:${name}`, handlerInput as Record<string, unknown>);
      return { status: 200, headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId }, body: toJson(output ?? {}) };
    } catch (e) {
      const err = asApiError(e, this.services, requestId);
      errorCode = err.code;
      errorMessage = err.message;
      const body: Record<string, unknown> = { __type: err.code, message: err.message, ...err.fields };
      const member = exceptionMessageMember(model, err.code);
      if (member !== "message") body[member] = err.message;
      return {
        status: err.status,
        headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-requestid": requestId, "x-amzn-errortype": err.code },
        body: toJson(body),
      };
    } finally {
      const durationMs = performance.now() - started;
      // Unknown targets count under one label: callers must not be able to mint new series.
      const known = entry !== undefined && (Object.hasOwn(entry.model.operations, name) || this.handlers.has(target));
      serverMetrics(this.services).apiCall(known ? entry.service : "unknown", known ? name : "unknown", errorCode ?? "ok", durationMs);
      this.services.audit.record({
        time: this.services.clock.now(),
        requestId,
        accountId: ctx?.accountId ?? null,
        region: ctx?.region ?? null,
        principalArn: ctx?.principal.arn ?? null,
        accessKeyId: ctx?.accessKeyId || claimedAccessKeyId(req),
        sourceIp: req.sourceIp,
        service: entry?.service ?? "unknown",
        operation: name || target,
        parameters: auditParameters(model, name, input, req.body.length),
        errorCode,
        errorMessage,
        durationMs,
      });
    }
  }

  /**
   * Runs an operation in-process for `call.principal` (automation's API calls): the model's validation,
   * the principal's policies, the handler, and an audit record whose source is `call.source`.
   */
  async invoke(call: InternalCall): Promise<Record<string, unknown>> {
    const started = performance.now();
    const requestId = randomUUID();
    const { model } = models[PREFIX[call.service]];
    const name = call.operation;
    let errorCode: string | null = null;
    let errorMessage: string | null = null;
    try {
      if (!Object.hasOwn(model.operations, name)) throw new ApiError("UnknownOperationException", `${call.service.toUpperCase()} has no operation ${name}.`);
      const v = validateInput(model, name, call.input);
      if (!v.ok) throw new ApiError(v.error, v.message);
      const def = this.handlers.get(`${PREFIX[call.service]}.${name}`);
      if (!def) throw new ApiError("UnsupportedOperationException", `openssm does not support the ${call.service.toUpperCase()} operation ${name} yet.`);
      if (def.anonymous) throw new ApiError("AccessDeniedException", `${name} is an agent operation; it cannot be called in-process.`);
      const key: ResolvedKey = { ...ANONYMOUS_KEY, principal: call.principal, policies: call.policies };
      const ctx = this.context(requestId, name, key, call.region, { sourceIp: call.source, secure: true });
      const input = def.offThread ? (def.offThread.prepare(call.input) as Record<string, unknown>) : call.input;
      return JSON.parse(toJson((await this.run(ctx, def, def.action ?? `${call.service}:${name}`, input)) ?? {}));
    } catch (e) {
      const err = e instanceof ApiError ? e : callerFaultOf(e);
      errorCode = err?.code ?? "InternalServerError";
      errorMessage = (err ?? (e as Error)).message;
      throw err ?? e;
    } finally {
      this.services.audit.record({
        time: this.services.clock.now(),
        requestId,
        accountId: call.principal.accountId,
        region: call.region,
        principalArn: call.auditArn ?? call.principal.arn,
        accessKeyId: null,
        sourceIp: call.source,
        service: call.service,
        operation: name,
        parameters: Object.hasOwn(model.operations, name) ? redactInput(model, name, call.input) : {},
        errorCode,
        errorMessage,
        durationMs: performance.now() - started,
      });
    }
  }

  /** Authorizes and handles a validated call; answers once what it committed is on disk. */
  private async run(ctx: RequestContext, def: OperationDef<any, any, any>, action: string, input: Record<string, unknown>): Promise<unknown> {
    const prepared = await authorizeCall(ctx, def, action, input);
    const mark = this.services.commitMark();
    const output = await def.handle(ctx, input, prepared);
    if (def.listing && ctx.checks === 0) throw new Error(`${def.name} is a listing but its handler authorized nothing`);
    // Acknowledge only what is on disk: wait for the (shared) fsync when anything was committed meanwhile.
    if (this.services.commitMark() !== mark) await this.services.durable(mark);
    return output;
  }

  /** Builds the per-request context handed to handlers (also for agent routes outside the JSON API). */
  context = (requestId: string, operation: string, key: ResolvedKey, region: string, req: { sourceIp: string; secure: boolean }): RequestContext =>
    createRequestContext(this.services, requestId, operation, key, region, req);
}

/**
 * Authorizes a call before its handler runs, failing closed: the resources an operation declares are
 * checked (none at all is our fault, never a pass); a listing checks item by item in its handler.
 * Returns what `resources()` prepared for the handler.
 */
async function authorizeCall(ctx: RequestContext, def: OperationDef<any, any, any>, action: string, input: Record<string, unknown>): Promise<unknown> {
  if (def.anonymous || def.listing) return undefined;
  if (!def.resources) throw new Error(`${def.name} declares no resources to authorize`);
  const declared = await def.resources(ctx, input);
  const access: Access<unknown> = Array.isArray(declared) ? { resources: declared as ResourceRef[], prepared: undefined } : declared;
  if (access.resources.length === 0) throw new Error(`${def.name} named no resource to authorize`);
  await ctx.authorize(action, access.resources, access.context);
  return access.prepared;
}

/**
 * The parameters an audit record keeps: redacted by the model (or, unmodelled, by name). A body larger
 * than the audit keeps (a PutInventory of thousands of items) is recorded by its size, without the
 * cost of redacting and serializing it only to discard it.
 */
function auditParameters(model: ServiceModel, name: string, input: unknown, bodyBytes: number): unknown {
  if (input === undefined) return {};
  if (bodyBytes > MAX_AUDIT_PARAMETERS) return { unrecorded: `the parameters were ${bodyBytes} bytes long` };
  return Object.hasOwn(model.operations, name) ? redactInput(model, name, input) : redactUnmodelled(input);
}

/** The access key a refused request claimed to be signed with, for the audit trail (never verified). */
function claimedAccessKeyId(req: WireRequest): string | null {
  const h = req.headers.authorization;
  const m = /Credential=([A-Za-z0-9]{1,128})\//.exec(Array.isArray(h) ? h[0] : (h ?? ""));
  return m ? m[1] : null;
}

const MAYBE_SECRET = /payload|content|output|secret|token|password|credential|signature|code|key|value/i;

/**
 * Audit parameters of an operation with no public model (the agents' ec2messages calls carry command
 * output): plain top-level scalars only; anything nested or named like a secret is "***".
 */
function redactUnmodelled(input: unknown): unknown {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return "***";
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const scalar = typeof v === "number" || typeof v === "boolean" || (typeof v === "string" && v.length <= 256);
    Object.defineProperty(out, k, { value: scalar && !MAYBE_SECRET.test(k) ? v : "***", enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function asApiError(e: unknown, services: Services, requestId: string): ApiError {
  if (e instanceof ApiError) return e;
  const fault = callerFaultOf(e);
  if (fault) return fault;
  services.log.error({ err: e, requestId }, "internal error");
  return new ApiError("InternalServerError", `An internal error occurred (request ${requestId}); the server log has the details.`, 500);
}

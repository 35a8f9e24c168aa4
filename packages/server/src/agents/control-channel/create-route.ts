import type { CreateChannelInput } from "@openssm/protocol";
import type { FastifyInstance } from "fastify";
import { wireRequest } from "../../http/app.js";
import { ApiError } from "../../errors.js";
import type { HttpDeps, RequestContext } from "../../runtime.js";
import { xmlEscape } from "../upgrade-routes.js";
import { auditChannelCall, authenticateNode } from "./node-request.js";
import { issueChannelToken, TOKEN_LIFETIME_MS } from "./tokens.js";

const MESSAGE_SCHEMA_VERSION = "1.0";

function xmlError(e: ApiError): { status: number; body: string } {
  return { status: e.status, body: `<${e.code}><Message>${xmlEscape(e.message)}</Message></${e.code}>` };
}

function parseInput(body: Buffer): CreateChannelInput {
  let input: Partial<CreateChannelInput>;
  try {
    input = JSON.parse(body.toString("utf8") || "{}") as Partial<CreateChannelInput>;
  } catch {
    throw new ApiError("ValidationException", "The body must be JSON: {MessageSchemaVersion, RequestId}.");
  }
  if (typeof input.MessageSchemaVersion !== "string" || input.MessageSchemaVersion.length < 1) {
    throw new ApiError("ValidationException", "MessageSchemaVersion is required (1.0).");
  }
  if (typeof input.RequestId !== "string" || input.RequestId.length < 16) {
    throw new ApiError("ValidationException", "RequestId is required: a UUID of at least 16 characters.");
  }
  return input as CreateChannelInput;
}

/**
 * `POST /v1/control-channel/<instanceId>` (CreateControlChannel): a node, signed with its own
 * credentials for ssmmessages, gets a token to open its control channel. 201 and an XML body,
 * which is what the agent unmarshals.
 */
export function registerCreateControlChannel(app: FastifyInstance, deps: HttpDeps): void {
  app.post<{ Params: { instanceId: string } }>("/v1/control-channel/:instanceId", async (req, reply) => {
    const started = performance.now();
    const wire = wireRequest(deps.services, req);
    const instanceId = req.params.instanceId;
    let ctx: RequestContext | undefined;
    try {
      ctx = await authenticateNode(deps, wire, instanceId, "CreateControlChannel");
      parseInput(wire.body);
      const token = issueChannelToken(deps.services.masterKey, {
        instanceId,
        accountId: ctx.accountId,
        region: ctx.region,
        expiresAt: deps.services.clock.now() + TOKEN_LIFETIME_MS,
      });
      auditChannelCall(deps, { wire, ctx, operation: "CreateControlChannel", instanceId, started });
      return reply
        .code(201)
        .header("content-type", "application/xml")
        .header("x-amzn-requestid", ctx.requestId)
        .send(
          `<CreateControlChannelResponse><MessageSchemaVersion>${MESSAGE_SCHEMA_VERSION}</MessageSchemaVersion><TokenValue>${xmlEscape(token)}</TokenValue></CreateControlChannelResponse>`,
        );
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      auditChannelCall(deps, { wire, ctx, operation: "CreateControlChannel", instanceId, error: e, started });
      const { status, body } = xmlError(e);
      return reply.code(status).header("content-type", "application/xml").header("x-amzn-errortype", e.code).send(body);
    }
  });
}

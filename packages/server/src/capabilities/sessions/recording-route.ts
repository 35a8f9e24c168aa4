import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { ApiError } from "../../errors.js";
import { wireRequest } from "../../http/app.js";
import type { HttpDeps, RequestContext } from "../../runtime.js";
import { toAsciicast } from "./asciicast.js";
import { readRecording } from "./recording.js";
import { findSession, sessionArn } from "./store.js";

export const RECORDING_ROUTE = "/v1/session-recording";
/** openssm's own action (AWS keeps session logs in S3 or CloudWatch): reading what a session printed. */
export const RECORDING_ACTION = "ssm:GetSessionRecording";

/**
 * `GET /v1/session-recording/<sessionId>`: a session's recording as asciicast v2, for a caller whose
 * SigV4-signed request (service ssm) is allowed ssm:GetSessionRecording on the session's ARN. The web
 * console replays it; every read is written to the audit trail. A port-forwarding session was not
 * recorded, and a recording past its retention is gone: both answer 404 saying so.
 */
export function registerRecordingRoute(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: { sessionId: string } }>(`${RECORDING_ROUTE}/:sessionId`, async (req, reply) => {
    const wire = wireRequest(deps.services, req);
    const started = performance.now();
    let ctx: RequestContext | undefined;
    let error: ApiError | undefined;
    const { sessionId } = req.params;
    try {
      const auth = await deps.authenticator.authenticate(wire, "ssm");
      ctx = deps.context(randomUUID(), "GetSessionRecording", auth.key, auth.region, wire);
      await ctx.authorize(RECORDING_ACTION, [{ arn: sessionArn(ctx.scope, sessionId) }]);
      const row = await findSession(deps.services.db, ctx.scope, sessionId);
      if (!row) throw new ApiError("DoesNotExistException", `There is no session ${sessionId} in ${ctx.region}.`, 404);
      if (row.recorded === 0) throw new ApiError("DoesNotExistException", `Session ${sessionId} forwarded a port and was not recorded.`, 404);
      if (row.recording_purged) throw new ApiError("DoesNotExistException", `The recording of session ${sessionId} was deleted when its retention ended.`, 404);
      const events = await readRecording(deps.services.db, deps.services.masterKey, sessionId, Buffer.from(row.recording_key));
      const body = toAsciicast(events, { startedAt: row.start_date, title: `${sessionId} on ${row.target}` });
      return reply
        .code(200)
        .headers({ "content-type": "application/x-asciicast; charset=utf-8", "cache-control": "no-store", "x-amzn-requestid": ctx.requestId })
        .send(body);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      error = e;
      const status =
        e.code === "AccessDeniedException" || e.code.includes("Signature") || e.code.includes("Token") || e.code === "UnrecognizedClientException"
          ? 403
          : e.status;
      return reply
        .code(status)
        .headers({ "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": e.code })
        .send(JSON.stringify({ __type: e.code, message: e.message }));
    } finally {
      deps.services.audit.record({
        time: deps.services.clock.now(),
        requestId: ctx?.requestId ?? randomUUID(),
        accountId: ctx?.accountId ?? null,
        region: ctx?.region ?? null,
        principalArn: ctx?.principal.arn ?? null,
        accessKeyId: ctx?.accessKeyId ?? null,
        sourceIp: wire.sourceIp,
        service: "ssm",
        operation: "GetSessionRecording",
        parameters: { SessionId: sessionId },
        errorCode: error?.code ?? null,
        errorMessage: error?.message ?? null,
        durationMs: performance.now() - started,
      });
    }
  });
}

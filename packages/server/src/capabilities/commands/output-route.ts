import { randomUUID } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { wireRequest } from "../../http/app.js";
import { ApiError } from "../../errors.js";
import type { HttpDeps } from "../../runtime.js";
import { readOutput } from "./output-store.js";
import { OUTPUT_ROUTE } from "./output-urls.js";
import { getInvocation, getScopedCommand, listPlugins } from "./store.js";

/**
 * `GET /v1/command-output/<commandId>/<instanceId>/<plugin>/<stdout|stderr>`: the whole output of a
 * step, for a caller whose SigV4-signed request (service ssm) is allowed ssm:GetCommandInvocation —
 * signed as the AWS SDKs sign (botocore's SigV4Auth, @smithy/signature-v4). curl 7.x's --aws-sigv4
 * does not encode the ":" of step names like aws:runShellScript the way SigV4 wants, so it is refused.
 */
export function registerOutputRoute(app: FastifyInstance, deps: HttpDeps): void {
  app.get<{ Params: { commandId: string; instanceId: string; plugin: string; stream: string } }>(
    `${OUTPUT_ROUTE}/:commandId/:instanceId/:plugin/:stream`,
    async (req, reply) => {
      const wire = wireRequest(deps.services, req);
      try {
        const auth = await deps.authenticator.authenticate(wire, "ssm");
        const ctx = deps.context(randomUUID(), "GetCommandInvocation", auth.key, auth.region, wire);
        await ctx.authorize("ssm:GetCommandInvocation", [{ arn: "*" }]);
        const { commandId, instanceId, plugin, stream } = req.params;
        if (stream !== "stdout" && stream !== "stderr") throw new ApiError("ValidationException", "The last part of the path is stdout or stderr.", 404);
        const cmd = await getScopedCommand(deps.services.db, ctx, commandId);
        const inv = cmd ? await getInvocation(deps.services.db, commandId, instanceId) : undefined;
        if (!cmd || !inv) throw new ApiError("InvocationDoesNotExist", `Command ${commandId} has no invocation on ${instanceId} in ${ctx.region}.`, 404);
        const step = (await listPlugins(deps.services.db, commandId, instanceId)).find((p) => p.name === plugin);
        if (!step) throw new ApiError("InvalidPluginName", `Command ${commandId} has no step named ${plugin}.`, 404);
        const text = await readOutput(deps.services, { commandId, instanceId, plugin }, stream);
        // The agent sent only the start of this stream (AWS's agent keeps 24,000 bytes): say so.
        const cut = stream === "stdout" ? step.stdout_cut : step.stderr_cut;
        return reply
          .code(200)
          .headers({ "content-type": "text/plain; charset=utf-8", "x-amzn-requestid": ctx.requestId, "x-openssm-output-complete": cut ? "false" : "true" })
          .send(text);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        const status =
          e.code === "AccessDeniedException" || e.code.includes("Signature") || e.code.includes("Token") || e.code === "UnrecognizedClientException"
            ? 403
            : e.status;
        return reply
          .code(status)
          .headers({ "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": e.code })
          .send(JSON.stringify({ __type: e.code, message: e.message }));
      }
    },
  );
}

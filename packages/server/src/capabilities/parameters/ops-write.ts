import type {
  DeleteParameterRequest,
  DeleteParameterResult,
  DeleteParametersRequest,
  DeleteParametersResult,
  PutParameterRequest,
  PutParameterResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { requestTagKeys } from "../../iam/authorize.js";
import { op, type RequestContext } from "../../runtime.js";
import { deleteAllTags } from "../tags/index.js";
import { parameterChange } from "./events.js";
import { changeParameter, notFound, PARAMETER_RESOURCE_TYPE, parameterResource, reference, requireHead, resourceOf } from "./lookup.js";
import { checkNewName, checkNotReserved, nameKey } from "./names.js";
import { putParameter as put } from "./put.js";
import { deleteParameterRows } from "./store.js";
import { parameterArn } from "./values.js";

export const putParameter = op<PutParameterRequest, PutParameterResult>({
  service: "ssm",
  name: "PutParameter",
  // PutParameter's own condition keys, so AWS's documented policies work.
  resources(ctx, input) {
    const key = nameKey(checkNewName(String(input.Name), ctx.arn("ssm", "parameter/")));
    return {
      resources: [parameterResource(ctx, key)],
      context: { "ssm:overwrite": String(Boolean(input.Overwrite)), ...requestTagKeys(input.Tags) },
      prepared: undefined,
    };
  },
  handle: (ctx, input) => put(ctx, input),
});

/** Deletes a parameter with all its versions, labels and tags, and publishes the Delete event. */
async function deleteOne(ctx: RequestContext, input: string): Promise<void> {
  const ref = reference(ctx, input);
  checkNotReserved(ref.name);
  if (ref.selector) {
    throw new ApiError("ValidationException", `Deleting removes every version of a parameter: pass ${ref.name} without ":${ref.selector.text}".`);
  }
  const head = await requireHead(ctx, ref);
  // The rows, the tags and the Delete event: all of them or none.
  await changeParameter(ctx.services, ctx, head.name_key, async (tx) => {
    if (!(await deleteParameterRows(tx.db, ctx, head.name_key))) throw notFound(ref.name);
    await deleteAllTags(tx.db, ctx, PARAMETER_RESOURCE_TYPE, head.name_key);
    tx.publish(
      parameterChange(
        {
          accountId: ctx.accountId,
          region: ctx.region,
          arn: parameterArn(ctx, head.name_key),
          name: head.name,
          type: head.type,
          description: head.description,
        },
        "Delete",
      ),
    );
  });
}

export const deleteParameter = op<DeleteParameterRequest, DeleteParameterResult>({
  service: "ssm",
  name: "DeleteParameter",
  resources: (ctx, input) => [resourceOf(ctx, String(input.Name))],
  async handle(ctx, input) {
    await deleteOne(ctx, String(input.Name));
    return {};
  },
});

export const deleteParameters = op<DeleteParametersRequest, DeleteParametersResult>({
  service: "ssm",
  name: "DeleteParameters",
  resources: (ctx, input) => (input.Names ?? []).map((n) => resourceOf(ctx, String(n))),
  async handle(ctx, input) {
    const deleted: string[] = [];
    const invalid: string[] = [];
    for (const name of [...new Set((input.Names ?? []).map(String))]) {
      try {
        await deleteOne(ctx, name);
        deleted.push(name);
      } catch (e) {
        if (e instanceof ApiError && (e.code === "ParameterNotFound" || e.code === "ValidationException")) invalid.push(name);
        else throw e;
      }
    }
    return { DeletedParameters: deleted, InvalidParameters: invalid };
  },
});

import type {
  LabelParameterVersionRequest,
  LabelParameterVersionResult,
  UnlabelParameterVersionRequest,
  UnlabelParameterVersionResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op, type RequestContext, type Tx } from "../../runtime.js";
import { parameterChange } from "./events.js";
import { changeParameter, reference, requireHead, resourceOf, versionNotFound } from "./lookup.js";
import { isValidLabel } from "./names.js";
import { getVersion, type HeadRow, labelsByVersion, pdb } from "./store.js";
import { parameterArn } from "./values.js";
import { inScope } from "../../storage/scope.js";

/** AWS's limit on labels per parameter version. */
export const MAX_LABELS_PER_VERSION = 10;

async function target(ctx: RequestContext, name: string, version: number | undefined): Promise<{ head: HeadRow; version: number }> {
  const ref = reference(ctx, name);
  if (ref.selector) throw new ApiError("ValidationException", `Name the parameter without ":${ref.selector.text}"; give the version in ParameterVersion.`);
  const head = await requireHead(ctx, ref);
  const v = version ?? Number(head.version);
  if (!(await getVersion(pdb(ctx.services.db), ctx, head.name_key, v))) throw versionNotFound(head.name, v);
  return { head, version: v };
}

/** The label change's event, recorded in the change's transaction. */
function labelsChanged(ctx: RequestContext, tx: Tx, head: HeadRow, operation: string, version: number, labels: string[]): void {
  tx.publish(
    parameterChange(
      { accountId: ctx.accountId, region: ctx.region, arn: parameterArn(ctx, head.name_key), name: head.name, type: head.type, description: head.description },
      operation,
      { labels, version },
    ),
  );
}

export const labelParameterVersion = op<LabelParameterVersionRequest, LabelParameterVersionResult>({
  service: "ssm",
  name: "LabelParameterVersion",
  resources: (ctx, input) => [resourceOf(ctx, String(input.Name))],
  async handle(ctx, input) {
    const { head, version } = await target(ctx, String(input.Name), input.ParameterVersion);
    const labels = [...new Set((input.Labels ?? []).map(String))];
    const invalid = labels.filter((l) => !isValidLabel(l));
    const valid = labels.filter(isValidLabel);
    const d = pdb(ctx.services.db);
    const onVersion = (await labelsByVersion(d, ctx, head.name_key)).get(version) ?? [];
    const adding = valid.filter((l) => !onVersion.includes(l));
    if (onVersion.length + adding.length > MAX_LABELS_PER_VERSION) {
      throw new ApiError(
        "ParameterVersionLabelLimitExceeded",
        `A parameter version can have maximum ${MAX_LABELS_PER_VERSION} labels; version ${version} of ${head.name} has ${onVersion.length} and this request adds ${adding.length}. Move one or more labels to another version and try again.`,
      );
    }
    // The labels, their event and the replicas' invalidation: all of them or none.
    if (adding.length)
      await changeParameter(ctx.services, ctx, head.name_key, async (tx) => {
        for (const label of adding) {
          await pdb(tx.db)
            .insertInto("parameter_labels")
            .values({ account_id: ctx.accountId, region: ctx.region, name_key: head.name_key, label, version })
            .onConflict((oc) => oc.columns(["account_id", "region", "name_key", "label"]).doUpdateSet({ version }))
            .execute();
        }
        labelsChanged(ctx, tx, head, "LabelParameterVersion", version, adding);
      });
    return { InvalidLabels: invalid, ParameterVersion: version };
  },
});

export const unlabelParameterVersion = op<UnlabelParameterVersionRequest, UnlabelParameterVersionResult>({
  service: "ssm",
  name: "UnlabelParameterVersion",
  resources: (ctx, input) => [resourceOf(ctx, String(input.Name))],
  async handle(ctx, input) {
    const { head, version } = await target(ctx, String(input.Name), Number(input.ParameterVersion));
    const d = pdb(ctx.services.db);
    const onVersion = (await labelsByVersion(d, ctx, head.name_key)).get(version) ?? [];
    const labels = [...new Set((input.Labels ?? []).map(String))];
    const removed = labels.filter((l) => onVersion.includes(l));
    const invalid = labels.filter((l) => !onVersion.includes(l));
    if (removed.length)
      await changeParameter(ctx.services, ctx, head.name_key, async (tx) => {
        await pdb(tx.db)
          .deleteFrom("parameter_labels")
          .where(inScope(ctx))
          .where("name_key", "=", head.name_key)
          .where("version", "=", version)
          .where("label", "in", removed)
          .execute();
        labelsChanged(ctx, tx, head, "UnlabelParameterVersion", version, removed);
      });
    return { RemovedLabels: removed, InvalidLabels: invalid };
  },
});

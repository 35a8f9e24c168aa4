import type {
  StartAssociationsOnceRequest,
  StartAssociationsOnceResult,
  UpdateAssociationStatusRequest,
  UpdateAssociationStatusResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { op } from "../../runtime.js";
import { nodeArn, nodeTags } from "../nodes/index.js";
import { type Nudges, recordReport, sendNudges, startExecution } from "./engine.js";
import { associationArn } from "./ops-manage.js";
import { type AssociationRow, getAssociation, instanceRow, listAssociations, nodeAssociations, specOf } from "./store.js";
import { targetNodes } from "./targets.js";
import { describe } from "./view.js";

/** StartAssociationsOnce: applies the associations on all their targets now, whatever their schedule. */
export const startAssociationsOnce = op<StartAssociationsOnceRequest, StartAssociationsOnceResult, AssociationRow[]>({
  service: "ssm",
  name: "StartAssociationsOnce",
  async resources(ctx, input) {
    const rows: AssociationRow[] = [];
    for (const id of input.AssociationIds ?? []) {
      const row = await getAssociation(ctx.services.db, ctx, id);
      if (!row) throw new ApiError("AssociationDoesNotExist", `There is no association ${id} in this account and region.`);
      rows.push(row);
    }
    return { resources: rows.map((r) => ({ arn: associationArn(ctx, r.association_id) })), prepared: rows };
  },
  async handle(ctx, _input, rows) {
    const nudges: Nudges = new Map();
    const now = ctx.services.clock.now();
    for (const row of rows) {
      const nodes = await targetNodes(ctx.services.db, ctx, specOf(row).Targets ?? []);
      await ctx.transaction((tx) => startExecution(tx, row, nodes, "Manual", now, nudges));
    }
    await sendNudges(ctx.services, nudges);
    return {};
  },
});

/** UpdateAssociationStatus (the legacy call): a node's status for the association of a document with it. */
export const updateAssociationStatus = op<UpdateAssociationStatusRequest, UpdateAssociationStatusResult>({
  service: "ssm",
  name: "UpdateAssociationStatus",
  resources: (ctx, input) => [{ arn: nodeArn(ctx, String(input.InstanceId)), tags: () => nodeTags(ctx.services.db, ctx, String(input.InstanceId)) }],
  async handle(ctx, input) {
    const instanceId = String(input.InstanceId);
    const name = String(input.Name);
    const candidates = (await nodeAssociations(ctx.services.db, ctx, instanceId)).filter((x) => x.a.name === name);
    const legacy = candidates.length
      ? undefined
      : (await listAssociations(ctx.services.db, ctx)).find((a) => a.name === name && specOf(a).InstanceId === instanceId);
    if (!candidates.length && !legacy) throw new ApiError("AssociationDoesNotExist", `No association of ${name} applies to ${instanceId}.`);
    const a = candidates[0]?.a ?? (legacy as AssociationRow);
    const row = candidates[0]?.i ?? (await instanceRow(ctx.services.db, a.association_id, instanceId));
    if (!row) throw new ApiError("InvalidInstanceId", `${instanceId} is not among the targets of the association of ${name}.`);
    const status = input.AssociationStatus;
    const statusName = String(status?.Name);
    const message = String(status?.Message ?? "");
    if (row.status === statusName && row.execution_summary === message && row.pending === 0) {
      throw new ApiError("StatusUnchanged", `The association of ${name} with ${instanceId} is ${statusName} already.`);
    }
    const date =
      status?.Date instanceof Date
        ? status.Date.getTime()
        : typeof status?.Date === "number"
          ? (status.Date as number) * 1000
          : Date.parse(String(status?.Date));
    const nudges: Nudges = new Map();
    const now = ctx.services.clock.now();
    await ctx.transaction((tx) =>
      recordReport(tx, a, instanceId, { status: statusName, executedAt: Number.isNaN(date) ? now : date, summary: message }, now, nudges),
    );
    await sendNudges(ctx.services, nudges);
    const fresh = (await getAssociation(ctx.services.db, ctx, a.association_id)) ?? a;
    return { AssociationDescription: await describe(ctx.services.db, fresh) };
  },
});

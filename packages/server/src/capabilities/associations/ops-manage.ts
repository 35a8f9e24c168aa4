import { randomUUID } from "node:crypto";
import type {
  AssociationDescription,
  CreateAssociationBatchRequest,
  CreateAssociationBatchRequestEntry,
  CreateAssociationBatchResult,
  CreateAssociationRequest,
  CreateAssociationResult,
  DeleteAssociationRequest,
  DeleteAssociationResult,
  DescribeAssociationRequest,
  DescribeAssociationResult,
  FailedCreateAssociation,
  UpdateAssociationRequest,
  UpdateAssociationResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { calendarState } from "../calendar/index.js";
import { op, type RequestContext } from "../../runtime.js";
import { type Tag, deleteAllTags, putTags } from "../tags/index.js";
import { removeComplianceItems } from "../compliance/index.js";
import { attachNodes, type Nudges, refreshNodeSummaries, refreshNodeSummary, sendNudges, startExecution } from "./engine.js";
import { type AssociationSpec, appliesAtOnce, checkSpec, checksumOf, nextRun, type SpecInput } from "./spec.js";
import { type AssociationRow, countAssociations, deleteAssociationRows, getAssociation, instancesOf, listAssociations, specOf } from "./store.js";
import { associationDb } from "./tables.js";
import { targetNodes } from "./targets.js";
import { describe, versionInfo } from "./view.js";

export const TAG_TYPE = "Association";
/** Associations per account and region (AWS: 10,000 in most Regions; openssm keeps it lower). */
const MAX_ASSOCIATIONS = 5000;
const MAX_VERSIONS = 1000;

export const associationArn = (ctx: RequestContext, id: string) => ctx.arn("ssm", `association/${id}`);

/** The association an AssociationId, or a legacy document Name with InstanceId, names. */
export async function findAssociation(ctx: RequestContext, input: { AssociationId?: string; Name?: string; InstanceId?: string }): Promise<AssociationRow> {
  if (input.AssociationId) {
    const row = await getAssociation(ctx.services.db, ctx, input.AssociationId);
    if (!row) throw new ApiError("AssociationDoesNotExist", `There is no association ${input.AssociationId} in this account and region.`);
    return row;
  }
  if (input.Name && input.InstanceId) {
    const all = await listAssociations(ctx.services.db, ctx);
    const found = all.find((a) => a.name === input.Name && specOf(a).InstanceId === input.InstanceId);
    if (!found) throw new ApiError("AssociationDoesNotExist", `There is no association of ${input.Name} with ${input.InstanceId}.`);
    return found;
  }
  throw new ApiError("AssociationDoesNotExist", "Name the association: AssociationId, or Name with InstanceId.");
}

/** Whether one of the association's change calendars is CLOSED now (then it waits for its schedule). */
async function calendarClosed(ctx: RequestContext, spec: AssociationSpec): Promise<boolean> {
  return spec.CalendarNames?.length ? (await calendarState(ctx, spec.CalendarNames)).state === "CLOSED" : false;
}

/** Creates one association (checked already) and applies it; the caller sends the nudges after the commit. */
async function create(ctx: RequestContext, input: SpecInput & { Tags?: Tag[] }, spec: AssociationSpec, nudges: Nudges): Promise<AssociationRow> {
  if ((await countAssociations(ctx.services.db, ctx)) >= MAX_ASSOCIATIONS) {
    throw new ApiError("AssociationLimitExceeded", `This account has ${MAX_ASSOCIATIONS} associations in ${ctx.region}; delete some first.`);
  }
  const name = String(input.Name);
  if (spec.InstanceId) {
    const all = await listAssociations(ctx.services.db, ctx);
    if (all.some((a) => a.name === name && specOf(a).InstanceId === spec.InstanceId)) {
      throw new ApiError("AssociationAlreadyExists", `${spec.InstanceId} is already associated with ${name}.`);
    }
  }
  const now = ctx.services.clock.now();
  const id = randomUUID();
  const row: AssociationRow = {
    association_id: id,
    account_id: ctx.accountId,
    region: ctx.region,
    version: 1,
    name,
    association_name: input.AssociationName ?? null,
    spec: JSON.stringify(spec),
    checksum: checksumOf(name, 1, spec),
    created_at: now,
    updated_at: now,
    next_run_at: nextRun(spec, now, now) ?? null,
    last_execution_at: null,
    last_success_at: null,
  };
  const nodes = await targetNodes(ctx.services.db, ctx, spec.Targets ?? []);
  const atOnce = appliesAtOnce(spec) && !(await calendarClosed(ctx, spec));
  await ctx.transaction(async (tx) => {
    const d = associationDb(tx.db);
    await d.insertInto("associations").values(row).execute();
    await d
      .insertInto("association_versions")
      .values({ association_id: id, version: 1, name, association_name: row.association_name, spec: row.spec, created_at: now })
      .execute();
    if (input.Tags?.length)
      await putTags(
        tx.db,
        ctx,
        TAG_TYPE,
        id,
        input.Tags.map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") })),
      );
    if (atOnce) await startExecution(tx, row, nodes, "Create", now, nudges);
    else await attachNodes(tx, row, nodes, now);
    await refreshNodeSummaries(tx, ctx, nodes);
  });
  return row;
}

/** CreateAssociation: validates, stores version 1 and applies it on the matching nodes at once (unless the schedule says otherwise). */
export const createAssociation = op<CreateAssociationRequest, CreateAssociationResult, { spec: AssociationSpec }>({
  service: "ssm",
  name: "CreateAssociation",
  async resources(ctx, input) {
    const { spec, doc } = await checkSpec(ctx, input as SpecInput);
    return { resources: [{ arn: doc.arn }, { arn: associationArn(ctx, "*") }], prepared: { spec } };
  },
  async handle(ctx, input, prepared) {
    const nudges: Nudges = new Map();
    const row = await create(ctx, input as SpecInput & { Tags?: Tag[] }, prepared.spec, nudges);
    await sendNudges(ctx.services, nudges);
    return { AssociationDescription: await describe(ctx.services.db, row) };
  },
});

/** CreateAssociationBatch: each entry on its own; the ones refused come back with AWS's Fault and the reason. */
export const createAssociationBatch = op<CreateAssociationBatchRequest, CreateAssociationBatchResult>({
  service: "ssm",
  name: "CreateAssociationBatch",
  listing: true,
  async handle(ctx, input) {
    const Successful: AssociationDescription[] = [];
    const Failed: FailedCreateAssociation[] = [];
    const nudges: Nudges = new Map();
    for (const entry of input.Entries ?? []) {
      try {
        const { spec, doc } = await checkSpec(ctx, entry as SpecInput);
        const decision = await ctx.decide("ssm:CreateAssociationBatch", { arn: doc.arn });
        if (decision !== "Allow") throw new ApiError("AccessDeniedException", `${ctx.principal.arn} may not create associations of ${doc.name}.`);
        const row = await create(ctx, entry as SpecInput, spec, nudges);
        Successful.push(await describe(ctx.services.db, row));
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        Failed.push({ Entry: entry as CreateAssociationBatchRequestEntry, Message: `${e.code}: ${e.message}`, Fault: "Client" });
      }
    }
    await sendNudges(ctx.services, nudges);
    return { Successful, Failed };
  },
});

const associationRef = async (ctx: RequestContext, input: { AssociationId?: string; Name?: string; InstanceId?: string }) => {
  const row = await findAssociation(ctx, input);
  return { resources: [{ arn: associationArn(ctx, row.association_id) }], prepared: row };
};

/** DescribeAssociation: the association (or one of its versions) with its status overview. */
export const describeAssociation = op<DescribeAssociationRequest, DescribeAssociationResult, AssociationRow>({
  service: "ssm",
  name: "DescribeAssociation",
  resources: associationRef,
  readOnly: true,
  async handle(ctx, input, row) {
    if (input.AssociationVersion && input.AssociationVersion !== "$LATEST" && input.AssociationVersion !== String(row.version)) {
      const version = await associationDb(ctx.services.db)
        .selectFrom("association_versions")
        .selectAll()
        .where("association_id", "=", row.association_id)
        .where("version", "=", Number(input.AssociationVersion))
        .executeTakeFirst();
      if (!version) {
        throw new ApiError(
          "InvalidAssociationVersion",
          `Association ${row.association_id} has no version ${input.AssociationVersion}; its latest is ${row.version}.`,
        );
      }
      const old = {
        ...row,
        version: version.version,
        name: version.name,
        association_name: version.association_name,
        spec: version.spec,
        updated_at: version.created_at,
      };
      return { AssociationDescription: await describe(ctx.services.db, old) };
    }
    return { AssociationDescription: await describe(ctx.services.db, row) };
  },
});

/**
 * UpdateAssociation: a new version from what the call gives. As in AWS, optional settings left out
 * are cleared (Name, Targets and AssociationName are kept when left out); the new version applies at once.
 */
export const updateAssociation = op<UpdateAssociationRequest, UpdateAssociationResult, AssociationRow>({
  service: "ssm",
  name: "UpdateAssociation",
  resources: associationRef,
  async handle(ctx, input, row) {
    if (input.AssociationVersion && input.AssociationVersion !== "$LATEST" && input.AssociationVersion !== String(row.version)) {
      throw new ApiError(
        "InvalidAssociationVersion",
        `AssociationVersion ${input.AssociationVersion} is not the latest version (${row.version}) of ${row.association_id}: read it again and retry.`,
      );
    }
    if (row.version >= MAX_VERSIONS)
      throw new ApiError("AssociationVersionLimitExceeded", `Association ${row.association_id} has ${MAX_VERSIONS} versions already.`);
    const old = specOf(row);
    if (old.InstanceId && input.Targets?.length)
      throw new ApiError("InvalidUpdate", `Association ${row.association_id} was created for ${old.InstanceId}; its targets can't change.`);
    const name = input.Name ?? row.name;
    const { spec } = await checkSpec(ctx, {
      ...(input as SpecInput),
      Name: name,
      InstanceId: old.InstanceId,
      Targets: old.InstanceId ? undefined : (input.Targets ?? old.Targets),
    });
    const now = ctx.services.clock.now();
    const version = row.version + 1;
    const next: AssociationRow = {
      ...row,
      version,
      name,
      association_name: input.AssociationName ?? row.association_name,
      spec: JSON.stringify(spec),
      checksum: checksumOf(name, version, spec),
      updated_at: now,
      next_run_at: nextRun(spec, now, now) ?? null,
    };
    const nodes = await targetNodes(ctx.services.db, ctx, spec.Targets ?? []);
    const atOnce = appliesAtOnce(spec) && !(await calendarClosed(ctx, spec));
    const nudges: Nudges = new Map();
    await ctx.transaction(async (tx) => {
      const d = associationDb(tx.db);
      const r = await d
        .updateTable("associations")
        .set({
          version,
          name,
          association_name: next.association_name,
          spec: next.spec,
          checksum: next.checksum,
          updated_at: now,
          next_run_at: next.next_run_at,
        })
        .where("association_id", "=", row.association_id)
        .where("version", "=", row.version)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) !== 1) throw new ApiError("TooManyUpdates", `Association ${row.association_id} changed meanwhile; retry.`);
      await d
        .insertInto("association_versions")
        .values({ association_id: row.association_id, version, name, association_name: next.association_name, spec: next.spec, created_at: now })
        .execute();
      const current = new Set(nodes);
      const gone = (await instancesOf(tx.db, row.association_id)).filter((i) => !current.has(i.instance_id));
      for (const g of gone) {
        await d.deleteFrom("association_instances").where("association_id", "=", row.association_id).where("instance_id", "=", g.instance_id).execute();
        await refreshNodeSummary(tx, ctx, g.instance_id);
      }
      if (atOnce) await startExecution(tx, next, nodes, "Update", now, nudges);
      else await attachNodes(tx, next, nodes, now);
      await refreshNodeSummaries(tx, ctx, nodes);
    });
    await sendNudges(ctx.services, nudges);
    return { AssociationDescription: await describe(ctx.services.db, (await getAssociation(ctx.services.db, ctx, row.association_id)) ?? next) };
  },
});

/** DeleteAssociation: the association stops applying; its nodes no longer list it. */
export const deleteAssociation = op<DeleteAssociationRequest, DeleteAssociationResult, AssociationRow>({
  service: "ssm",
  name: "DeleteAssociation",
  resources: associationRef,
  async handle(ctx, _input, row) {
    const nodes = (await instancesOf(ctx.services.db, row.association_id)).map((i) => i.instance_id);
    await ctx.transaction(async (tx) => {
      await deleteAssociationRows(tx.db, row.association_id);
      await deleteAllTags(tx.db, ctx, TAG_TYPE, row.association_id);
      await refreshNodeSummaries(tx, ctx, nodes);
      // Its association compliance goes with it.
      await removeComplianceItems(
        tx,
        ctx,
        { resourceType: "ManagedInstance", complianceType: "Association", itemIds: [row.association_id] },
        ctx.services.clock.now(),
      );
    });
    return {};
  },
});

/** ListAssociationVersions' rows. */
export async function versionsOf(ctx: RequestContext, row: AssociationRow) {
  const rows = await associationDb(ctx.services.db)
    .selectFrom("association_versions")
    .selectAll()
    .where("association_id", "=", row.association_id)
    .orderBy("version")
    .execute();
  return rows.map(versionInfo);
}

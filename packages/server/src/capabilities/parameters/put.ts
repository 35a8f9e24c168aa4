import type { PutParameterRequest, PutParameterResult } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import type { RequestContext } from "../../runtime.js";
import { isUniqueViolation } from "../../storage/database.js";
import { putTags, tagProblem } from "../tags/index.js";
import { parameterChange } from "./events.js";
import { changeParameter, PARAMETER_RESOURCE_TYPE } from "./lookup.js";
import { checkNewName, nameKey, parentPath } from "./names.js";
import { carryPolicies, decodePolicies, encodePolicies, nextPolicyAt, parsePolicies, type StoredPolicy } from "./policies.js";
import { countByTier, getHead, type HeadRow, labelsByVersion, pdb, versionSpan } from "./store.js";
import { DEFAULT_PARAMETER_TIER, serviceSettingValue } from "../settings/index.js";
import { ADVANCED_MAX_PARAMETERS, limitExceeded, resolveTier, STANDARD_MAX_PARAMETERS } from "./tiers.js";
import { DEFAULT_KEY_ID, parameterArn, sealValue } from "./values.js";
import { inScope } from "../../storage/scope.js";

/** AWS's answer, word for word, to creating a parameter that exists without Overwrite. */
const alreadyExists = () =>
  new ApiError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");

/** AWS keeps at most this many versions of a parameter. */
export const MAX_VERSIONS = 100;

const DATA_TYPES = ["text", "aws:ec2:image", "aws:ssm:integration"];
const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

function checkValue(value: string): void {
  if (value.length === 0) {
    throw new ApiError(
      "ValidationException",
      "1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (/\{\{.*\}\}/s.test(value)) {
    throw new ApiError("ValidationException", 'Parameter value can\'t nest another parameter. Do not use "{{}}" in the value.');
  }
}

function checkDataType(dataType: string, type: string, value: string): void {
  if (!DATA_TYPES.includes(dataType)) {
    throw new ApiError(
      "ValidationException",
      `The following data type is not supported: ${dataType} (Data type names are all lowercase.) Supported data types are ${DATA_TYPES.join(", ")}.`,
    );
  }
  if (dataType === "aws:ec2:image") {
    if (type !== "String") throw new ApiError("ValidationException", `The aws:ec2:image data type is only for String parameters, not ${type}.`);
    if (!AMI_ID.test(value)) {
      throw new ApiError(
        "ValidationException",
        `Parameter value ${value} is not a valid AMI ID for the aws:ec2:image data type: use the format ami-12345678 or ami-1234567890abcdef0 (ami- followed by 8 to 17 lowercase hexadecimal characters).`,
      );
    }
  }
}

function checkPattern(pattern: string | null, value: string): void {
  if (!pattern) return;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`, "s");
  } catch (e) {
    throw new ApiError("InvalidAllowedPatternException", `The AllowedPattern ${pattern} is not a valid regular expression: ${(e as Error).message}`);
  }
  if (!re.test(value)) throw new ApiError("ParameterPatternMismatchException", `Parameter value, cannot be validated against allowedPattern: ${pattern}`);
}

async function checkQuota(ctx: RequestContext, tier: string, existing: HeadRow | undefined): Promise<void> {
  if (existing?.tier === tier) return;
  const d = pdb(ctx.services.db);
  const max = tier === "Standard" ? STANDARD_MAX_PARAMETERS : ADVANCED_MAX_PARAMETERS;
  if ((await countByTier(d, ctx, tier)) >= max) throw limitExceeded(tier);
}

/** Whether to drop the oldest version to make room; refuses when that version carries a label. */
async function makeRoomForVersion(ctx: RequestContext, head: HeadRow): Promise<number | undefined> {
  const d = pdb(ctx.services.db);
  const span = await versionSpan(d, ctx, head.name_key);
  if (span.count < MAX_VERSIONS) return undefined;
  const labels = (await labelsByVersion(d, ctx, head.name_key)).get(span.oldest);
  if (labels?.length) {
    throw new ApiError(
      "ParameterMaxVersionLimitExceeded",
      `You attempted to create a new version of ${head.name} by calling the PutParameter API with the overwrite flag. Version ${span.oldest}, the oldest version, can't be deleted because it has a label associated with it (${labels.join(", ")}). Move the label to another version of the parameter, and try again.`,
    );
  }
  return span.oldest;
}

/** PutParameter: creates a parameter or, with Overwrite, a new version of it. */
export async function putParameter(ctx: RequestContext, input: PutParameterRequest): Promise<PutParameterResult> {
  const now = ctx.now().getTime();
  const name = checkNewName(String(input.Name), ctx.arn("ssm", "parameter/"));
  const key = nameKey(name);
  const arn = parameterArn(ctx, key);
  const value = String(input.Value ?? "");
  checkValue(value);
  const tags = (input.Tags ?? []).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? "") }));
  if (input.Overwrite && tags.length) {
    throw new ApiError(
      "ValidationException",
      "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.",
    );
  }
  const d = pdb(ctx.services.db);
  const existing = await getHead(d, ctx, key);
  if (existing && !input.Overwrite) {
    throw alreadyExists();
  }
  const type = input.Type ?? existing?.type;
  if (!type)
    throw new ApiError("ValidationException", "A parameter type is required when you create a parameter: set Type to String, StringList or SecureString.");
  const dataType = input.DataType ?? existing?.data_type ?? "text";
  checkDataType(dataType, type, value);
  const allowedPattern = input.AllowedPattern !== undefined ? input.AllowedPattern || null : (existing?.allowed_pattern ?? null);
  checkPattern(allowedPattern, value);
  const description = input.Description !== undefined ? input.Description : (existing?.description ?? null);
  const policies: StoredPolicy[] =
    input.Policies !== undefined ? parsePolicies(input.Policies, now) : existing ? carryPolicies(decodePolicies(existing.policies)) : [];
  // No Tier in the request: the account's default tier setting (Standard unless changed) applies; an
  // existing parameter keeps its tier under the Standard default (a parameter is never downgraded).
  const defaultTier = input.Tier ? undefined : await serviceSettingValue(ctx.services, ctx, DEFAULT_PARAMETER_TIER);
  const requestedTier = input.Tier ?? (defaultTier !== "Standard" ? defaultTier : undefined);
  // Intelligent-Tiering moves a new parameter to Advanced once the standard quota is used up.
  const standardFull = !existing && requestedTier === "Intelligent-Tiering" && (await countByTier(d, ctx, "Standard")) >= STANDARD_MAX_PARAMETERS;
  const tier = resolveTier({
    requested: requestedTier,
    existing: existing?.tier,
    valueBytes: Buffer.byteLength(value, "utf8"),
    policyCount: policies.length,
    standardFull,
  });
  await checkQuota(ctx, tier, existing);
  if (!existing && tags.length) {
    const problem = tagProblem({}, tags);
    if (problem) throw new ApiError("ValidationException", problem);
  }
  const dropVersion = existing ? await makeRoomForVersion(ctx, existing) : undefined;

  let keyId: string | null = null;
  let keyArn: string | null = null;
  let ciphertext: Buffer | null = null;
  if (type === "SecureString") {
    keyId = input.KeyId ?? (existing?.type === "SecureString" ? existing.key_id : null) ?? DEFAULT_KEY_ID;
    const sealed = await sealValue(ctx, keyId, value, arn);
    ciphertext = sealed.ciphertext;
    keyArn = sealed.keyArn;
  }

  const version = existing ? Number(existing.version) + 1 : 1;
  const user = ctx.principal.arn;
  const common = {
    type,
    data_type: dataType,
    description,
    allowed_pattern: allowedPattern,
    key_id: keyId,
    key_arn: keyArn,
    tier,
    policies: encodePolicies(policies),
  };
  const scope = { account_id: ctx.accountId, region: ctx.region, name_key: key };
  try {
    // The parameter, its version, its tags and its Create/Update event: all of them or none.
    await changeParameter(ctx.services, ctx, key, async (tx) => {
      const trx = pdb(tx.db);
      if (!existing) {
        await trx
          .insertInto("parameters")
          .values({
            ...scope,
            ...common,
            name,
            parent_path: parentPath(key),
            version,
            last_modified_date: now,
            last_modified_user: user,
            next_policy_at: nextPolicyAt(policies, now),
          })
          .execute();
      } else {
        const r = await trx
          .updateTable("parameters")
          .set({ ...common, version, last_modified_date: now, last_modified_user: user, next_policy_at: nextPolicyAt(policies, now) })
          .where(inScope(ctx))
          .where("name_key", "=", key)
          .where("version", "=", existing.version)
          .executeTakeFirst();
        if (Number(r.numUpdatedRows) === 0) throw tooManyUpdates(name);
        if (dropVersion !== undefined) {
          await trx.deleteFrom("parameter_versions").where(inScope(ctx)).where("name_key", "=", key).where("version", "=", dropVersion).execute();
        }
      }
      await trx
        .insertInto("parameter_versions")
        .values({
          ...scope,
          ...common,
          version,
          name: existing?.name ?? name,
          value: type === "SecureString" ? null : value,
          ciphertext,
          last_modified_date: now,
          last_modified_user: user,
        })
        .execute();
      if (!existing && tags.length) await putTags(tx.db, ctx, PARAMETER_RESOURCE_TYPE, key, tags);
      tx.publish(
        parameterChange(
          { accountId: ctx.accountId, region: ctx.region, arn, name: existing?.name ?? name, type, description, dataType },
          existing ? "Update" : "Create",
        ),
      );
    });
  } catch (e) {
    if (!isUniqueViolation(e)) throw e;
    if (!existing && !input.Overwrite) {
      throw alreadyExists();
    }
    throw tooManyUpdates(name);
  }
  return { Version: version, Tier: tier };
}

function tooManyUpdates(name: string): ApiError {
  return new ApiError("TooManyUpdates", `Another request changed ${name} at the same time. Read the parameter again and retry.`);
}

import type {
  GetServiceSettingRequest,
  GetServiceSettingResult,
  ResetServiceSettingRequest,
  ResetServiceSettingResult,
  ServiceSetting,
  UpdateServiceSettingRequest,
  UpdateServiceSettingResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { type Access, op, type RequestContext } from "../../runtime.js";
import { SETTINGS, type SettingDefinition } from "./catalog.js";
import { definitionOf, readSetting, resetSetting, type SettingState, writeSetting } from "./store.js";

const ARN_FORM = /^arn:aws[a-z-]*:ssm:([a-z0-9-]*):(\d{12}|):servicesetting(\/.+)$/;

/** The setting a SettingId names (the bare id or its ARN in this account and region). */
function settingFor(ctx: RequestContext, settingId: string): SettingDefinition {
  let id = settingId;
  const arn = ARN_FORM.exec(settingId);
  if (arn) {
    if ((arn[1] && arn[1] !== ctx.region) || (arn[2] && arn[2] !== ctx.accountId)) {
      throw new ApiError("ServiceSettingNotFound", `${settingId} is not a service setting of account ${ctx.accountId} in ${ctx.region}.`);
    }
    id = arn[3];
  }
  const definition = definitionOf(id);
  if (!definition) {
    throw new ApiError(
      "ServiceSettingNotFound",
      `openssm has no service setting ${settingId}. The settings it offers: ${SETTINGS.map((s) => s.id).join(", ")}.`,
    );
  }
  return definition;
}

const settingArn = (ctx: RequestContext, id: string) => ctx.arn("ssm", `servicesetting${id}`);

function view(ctx: RequestContext, s: SettingState): ServiceSetting {
  return {
    SettingId: s.definition.id,
    SettingValue: s.value,
    LastModifiedDate: new Date(s.customized?.at ?? 0),
    LastModifiedUser: s.customized?.by ?? "System",
    ARN: settingArn(ctx, s.definition.id),
    Status: s.customized ? "Customized" : "Default",
  };
}

/** The setting a call names, authorized on its ARN and handed to the handler. */
function resource(ctx: RequestContext, input: { SettingId?: string }): Access<SettingDefinition> {
  const definition = settingFor(ctx, String(input.SettingId));
  return { resources: [{ arn: settingArn(ctx, definition.id) }], prepared: definition };
}

export const getServiceSetting = op<GetServiceSettingRequest, GetServiceSettingResult, SettingDefinition>({
  service: "ssm",
  name: "GetServiceSetting",
  resources: resource,
  async handle(ctx, _input, definition) {
    return { ServiceSetting: view(ctx, await readSetting(ctx.services.db, ctx, definition)) };
  },
});

export const updateServiceSetting = op<UpdateServiceSettingRequest, UpdateServiceSettingResult, SettingDefinition>({
  service: "ssm",
  name: "UpdateServiceSetting",
  resources: resource,
  async handle(ctx, input, definition) {
    const value = String(input.SettingValue);
    const problem = definition.check?.(value);
    if (problem) throw new ApiError("ValidationException", `${value} is not a value of ${definition.id}: ${problem}.`);
    if (!definition.check && !definition.allowed.includes(value)) {
      throw new ApiError("ValidationException", `${value} is not a value of ${definition.id}: use one of ${definition.allowed.join(", ")}.`);
    }
    await writeSetting(ctx.services.db, ctx, definition.id, value, ctx.services.clock.now(), ctx.principal.arn);
    return {};
  },
});

export const resetServiceSetting = op<ResetServiceSettingRequest, ResetServiceSettingResult, SettingDefinition>({
  service: "ssm",
  name: "ResetServiceSetting",
  resources: resource,
  async handle(ctx, _input, definition) {
    await resetSetting(ctx.services.db, ctx, definition.id);
    return { ServiceSetting: view(ctx, await readSetting(ctx.services.db, ctx, definition)) };
  },
});

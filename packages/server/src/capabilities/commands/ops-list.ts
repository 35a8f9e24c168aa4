import type {
  GetCommandInvocationRequest,
  GetCommandInvocationResult,
  ListCommandInvocationsRequest,
  ListCommandInvocationsResult,
  ListCommandsRequest,
  ListCommandsResult,
} from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { isNumberAndString, pageRequest } from "../../http/paging.js";
import { checkCommandId, parseFilters } from "./listing.js";
import { readOutput } from "./output-store.js";
import { STDERR_API_LIMIT, STDOUT_API_LIMIT } from "./output-pieces.js";
import { heldOutputUrl } from "./output-urls.js";
import { getInvocation, getScopedCommand, listPlugins } from "./store.js";
import { type CommandRow, commandDb } from "./tables.js";
import { commandView, invocationView } from "./views.js";
import { inScope } from "../../storage/scope.js";

const OPEN_STATUSES = ["Pending", "InProgress", "Delayed", "Cancelling"];

/** ListCommands: newest first; CommandId, InstanceId and the filters narrow it. */
export const listCommands = op<ListCommandsRequest, ListCommandsResult>({
  service: "ssm",
  name: "ListCommands",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    checkCommandId(input.CommandId);
    const f = parseFilters(input.Filters);
    const paging = pageRequest<[number, string]>(ctx, input, {
      query: [input.CommandId, input.InstanceId, input.Filters ?? null],
      defaultSize: 50,
      isKey: isNumberAndString,
    });
    const d = commandDb(ctx.services.db);
    let q = d.selectFrom("commands_commands").selectAll().where(inScope(ctx));
    if (input.CommandId) q = q.where("command_id", "=", input.CommandId);
    if (input.InstanceId) {
      const instanceId = input.InstanceId;
      q = q.where(
        "command_id",
        "in",
        d.selectFrom("commands_invocations").select("command_id").where("instance_id", "=", instanceId).where("account_id", "=", ctx.accountId),
      );
    }
    if (f.invokedAfter !== undefined) q = q.where("requested_at", ">=", f.invokedAfter);
    if (f.invokedBefore !== undefined) q = q.where("requested_at", "<=", f.invokedBefore);
    if (f.statuses) q = q.where("status", "in", f.statuses);
    if (f.documentName) q = q.where("document_name", "=", f.documentName);
    if (f.stage === "Executing") q = q.where("finished_at", "is", null);
    if (f.stage === "Complete") q = q.where("finished_at", "is not", null);
    // Newest first: a page starts after the last (requested_at, command_id) of the one before.
    const after = paging.after;
    if (after) q = q.where((eb) => eb.or([eb("requested_at", "<", after[0]), eb.and([eb("requested_at", "=", after[0]), eb("command_id", ">", after[1])])]));
    const rows = await q
      .orderBy("requested_at", "desc")
      .orderBy("command_id")
      .limit(paging.size + 1)
      .execute();
    const { items, nextToken } = paging.finish(rows, (r): [number, string] => [Number(r.requested_at), r.command_id]);
    return { Commands: items.map(commandView), NextToken: nextToken };
  },
});

/** ListCommandInvocations: one row per node of a command (or of every command), with CommandPlugins when Details is set. */
export const listCommandInvocations = op<ListCommandInvocationsRequest, ListCommandInvocationsResult>({
  service: "ssm",
  name: "ListCommandInvocations",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    checkCommandId(input.CommandId);
    const f = parseFilters(input.Filters);
    const paging = pageRequest<[number, string, number]>(ctx, input, {
      query: [input.CommandId, input.InstanceId, input.Filters ?? null, Boolean(input.Details)],
      defaultSize: 50,
      isKey: (k): k is [number, string, number] => Array.isArray(k) && k.length === 3 && isNumberAndString(k.slice(0, 2)) && typeof k[2] === "number",
    });
    const d = commandDb(ctx.services.db);
    let q = d
      .selectFrom("commands_invocations as i")
      .innerJoin("commands_commands as c", "c.command_id", "i.command_id")
      .selectAll("i")
      .where(inScope(ctx, "i"));
    if (input.CommandId) q = q.where("i.command_id", "=", input.CommandId);
    if (input.InstanceId) q = q.where("i.instance_id", "=", input.InstanceId);
    if (f.invokedAfter !== undefined) q = q.where("i.requested_at", ">=", f.invokedAfter);
    if (f.invokedBefore !== undefined) q = q.where("i.requested_at", "<=", f.invokedBefore);
    if (f.statuses) q = q.where("i.status", "in", f.statuses);
    if (f.documentName) q = q.where("c.document_name", "=", f.documentName);
    if (f.stage === "Executing") q = q.where("i.status", "in", OPEN_STATUSES);
    if (f.stage === "Complete") q = q.where("i.terminal", "=", 1);
    // Newest first: a page starts after the last (requested_at, command_id, seq) of the one before.
    const after = paging.after;
    if (after) {
      q = q.where((eb) =>
        eb.or([
          eb("i.requested_at", "<", after[0]),
          eb.and([
            eb("i.requested_at", "=", after[0]),
            eb.or([eb("i.command_id", ">", after[1]), eb.and([eb("i.command_id", "=", after[1]), eb("i.seq", ">", after[2])])]),
          ]),
        ]),
      );
    }
    const rows = await q
      .orderBy("i.requested_at", "desc")
      .orderBy("i.command_id")
      .orderBy("i.seq")
      .limit(paging.size + 1)
      .execute();
    const { items: page, nextToken } = paging.finish(rows, (r): [number, string, number] => [Number(r.requested_at), r.command_id, Number(r.seq)]);
    const commands = new Map<string, CommandRow>();
    const out = [];
    for (const inv of page) {
      let cmd = commands.get(inv.command_id);
      if (!cmd) {
        cmd = await getScopedCommand(ctx.services.db, ctx, inv.command_id);
        if (!cmd) continue;
        commands.set(inv.command_id, cmd);
      }
      const plugins = input.Details ? await listPlugins(ctx.services.db, inv.command_id, inv.instance_id) : undefined;
      out.push(invocationView(ctx.services, cmd, inv, plugins));
    }
    return { CommandInvocations: out, NextToken: nextToken };
  },
});

const isoMs = (ms: number | null) => (ms === null ? "" : new Date(ms).toISOString());

/** ISO-8601 duration of a run, as AWS writes ExecutionElapsedTime (PT1.234S). */
function elapsed(start: number | null, end: number | null): string {
  if (start === null || end === null || end < start) return "";
  return `PT${((end - start) / 1000).toFixed(3).replace(/\.?0+$/, "")}S`;
}

/**
 * GetCommandInvocation: one step (plugin) of one node's run, with the first 24,000 characters of its
 * stdout and 8,000 of its stderr; the whole text is at StandardOutputUrl / StandardErrorUrl.
 */
export const getCommandInvocation = op<GetCommandInvocationRequest, GetCommandInvocationResult>({
  service: "ssm",
  name: "GetCommandInvocation",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    checkCommandId(input.CommandId);
    const cmd = await getScopedCommand(ctx.services.db, ctx, String(input.CommandId));
    const inv = cmd ? await getInvocation(ctx.services.db, cmd.command_id, String(input.InstanceId)) : undefined;
    if (!cmd || !inv) {
      throw new ApiError(
        "InvocationDoesNotExist",
        `Command ${input.CommandId} has no invocation on ${input.InstanceId}; check both ids (ListCommandInvocations).`,
      );
    }
    const plugins = await listPlugins(ctx.services.db, cmd.command_id, inv.instance_id);
    let plugin = plugins[0];
    if (input.PluginName) {
      const found = plugins.find((p) => p.name === input.PluginName);
      if (!found)
        throw new ApiError(
          "InvalidPluginName",
          `Command ${cmd.command_id} has no step named ${input.PluginName}; its steps are ${plugins.map((p) => p.name).join(", ") || "none"}.`,
        );
      plugin = found;
    } else if (plugins.length > 1) {
      throw new ApiError(
        "InvalidPluginName",
        `Document ${cmd.document_name} has ${plugins.length} steps (${plugins.map((p) => p.name).join(", ")}); name one in PluginName.`,
      );
    }
    const base: GetCommandInvocationResult = {
      CommandId: cmd.command_id,
      InstanceId: inv.instance_id,
      Comment: cmd.comment,
      DocumentName: cmd.document_name,
      DocumentVersion: cmd.document_version,
      CloudWatchOutputConfig: commandView(cmd).CloudWatchOutputConfig,
    };
    if (!plugin) {
      return {
        ...base,
        PluginName: "",
        ResponseCode: -1,
        Status: inv.status as GetCommandInvocationResult["Status"],
        StatusDetails: inv.status_details,
        StandardOutputContent: "",
        StandardErrorContent: "",
        StandardOutputUrl: "",
        StandardErrorUrl: "",
        ExecutionStartDateTime: "",
        ExecutionElapsedTime: "",
        ExecutionEndDateTime: "",
      };
    }
    const key = { commandId: cmd.command_id, instanceId: inv.instance_id, plugin: plugin.name };
    // A step not reported yet shows its invocation's state (Pending, InProgress, Delayed, Cancelling).
    const fromPlugin = plugin.terminal === 1 || (plugin.status_details === "InProgress" && inv.status_details === "InProgress");
    const status = fromPlugin ? plugin.status : inv.status;
    const details = fromPlugin ? plugin.status_details : inv.status_details;
    return {
      ...base,
      PluginName: plugin.name,
      ResponseCode: plugin.response_code,
      ExecutionStartDateTime: isoMs(plugin.response_start),
      ExecutionEndDateTime: isoMs(plugin.response_finish),
      ExecutionElapsedTime: elapsed(plugin.response_start, plugin.response_finish),
      Status: status as GetCommandInvocationResult["Status"],
      StatusDetails: details,
      StandardOutputContent: await readOutput(ctx.services, key, "stdout", STDOUT_API_LIMIT),
      StandardErrorContent: await readOutput(ctx.services, key, "stderr", STDERR_API_LIMIT),
      StandardOutputUrl: heldOutputUrl(ctx.services, cmd.command_id, inv.instance_id, plugin.name, "stdout", plugin),
      StandardErrorUrl: heldOutputUrl(ctx.services, cmd.command_id, inv.instance_id, plugin.name, "stderr", plugin),
    };
  },
});

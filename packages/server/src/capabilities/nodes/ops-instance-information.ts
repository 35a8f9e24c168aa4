import type { DescribeInstanceInformationRequest, DescribeInstanceInformationResult } from "@aws-sdk/client-ssm";
import { ApiError } from "../../errors.js";
import { ANY_RESOURCE, op } from "../../runtime.js";
import { getTags } from "../tags/store.js";
import { INSTANCE_ID } from "./ids.js";
import { optionalString, requiredString } from "./input-checks.js";
import { checkNamedInstances, filteredNodes, readFilters } from "./instance-filters.js";
import { instanceInformation, latestAgentVersions, type NodeInfoFields } from "./instance-view.js";
import { pageRequest } from "../../http/paging.js";
import { findInstance, NODE_RESOURCE_TYPE, nodeArn } from "./store.js";
import { nodeDb } from "./tables.js";

const PLATFORM_TYPES = ["Windows", "Linux", "MacOS"];

/**
 * UpdateInstanceInformation (agent-only): the agent's health report every 5 minutes. Stores what the
 * agent says about itself and marks the contact (LastPingDateTime = now).
 */
export const updateInstanceInformation = op<Record<string, unknown>, object>({
  service: "ssm",
  name: "UpdateInstanceInformation",
  resources: (ctx, input) => {
    const id = String(input.InstanceId ?? "");
    return [{ arn: nodeArn(ctx, id), tags: () => getTags(ctx.services.db, ctx, NODE_RESOURCE_TYPE, id) }];
  },
  async handle(ctx, input) {
    const instanceId = requiredString(input, "InstanceId", 10, 124);
    if (!INSTANCE_ID.test(instanceId)) throw new ApiError("InvalidInstanceId", `${instanceId} is not a managed node id (mi- followed by 17 hex digits).`);
    const platformType = optionalString(input, "PlatformType", 1, 16);
    if (platformType !== undefined && !PLATFORM_TYPES.includes(platformType)) {
      throw new ApiError("ValidationException", `PlatformType must be one of ${PLATFORM_TYPES.join(", ")}, not ${platformType}.`);
    }
    const agentVersion = optionalString(input, "AgentVersion", 5, 64);
    const row = await findInstance(ctx.services.db, ctx, instanceId);
    if (!row || row.deregistered_at !== null) throw new ApiError("InvalidInstanceId", `Managed node ${instanceId} is not registered in ${ctx.region}.`);
    const info: NodeInfoFields = JSON.parse(row.info);
    for (const k of ["AgentStatus", "AvailabilityZone", "AvailabilityZoneId", "SSMConnectionChannel"]) {
      const v = optionalString(input, k, 0, 255);
      if (v !== undefined) info[k] = v;
    }
    const now = ctx.now().getTime();
    const pick = (k: string, max = 255) => optionalString(input, k, 1, max);
    await nodeDb(ctx.services.db)
      .updateTable("nodes_instances")
      .set({
        last_ping_at: Math.max(now, row.last_ping_at ?? 0),
        agent_name: pick("AgentName") ?? row.agent_name,
        agent_version: agentVersion ?? row.agent_version,
        platform_type: platformType ?? row.platform_type,
        platform_name: pick("PlatformName") ?? row.platform_name,
        platform_version: pick("PlatformVersion") ?? row.platform_version,
        computer_name: pick("ComputerName") ?? row.computer_name,
        ip_address: pick("IPAddress", 255) ?? row.ip_address,
        info: JSON.stringify(info),
      })
      .where("instance_id", "=", instanceId)
      .where("deregistered_at", "is", null)
      .execute();
    return {};
  },
});

export const describeInstanceInformation = op<DescribeInstanceInformationRequest, DescribeInstanceInformationResult>({
  service: "ssm",
  name: "DescribeInstanceInformation",
  resources: ANY_RESOURCE,
  async handle(ctx, input) {
    const filters = readFilters(input.Filters, input.InstanceInformationFilterList);
    const db = ctx.services.db;
    await checkNamedInstances(db, ctx, filters);
    const now = ctx.now().getTime();
    let q = (await filteredNodes(db, ctx, filters, now)).query;
    const paging = pageRequest(ctx, input, { query: filters, defaultSize: 50 });
    if (paging.after) q = q.where("instance_id", ">", paging.after);
    const rows = await q
      .orderBy("instance_id")
      .limit(paging.size + 1)
      .execute();
    const { items, nextToken } = paging.finish(rows, (r) => r.instance_id);
    const latest = await latestAgentVersions(db, ctx);
    return { InstanceInformationList: items.map((r) => instanceInformation(r, now, latest)), NextToken: nextToken };
  },
});

export const instanceInformationOperations = [updateInstanceInformation, describeInstanceInformation];

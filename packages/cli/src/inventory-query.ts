import { GetInventoryCommand, type InventoryFilter, type InventoryResultEntity, type SSMClient } from "@aws-sdk/client-ssm";
import { type ApiFlags, apiError, resolveApi, ssmClient } from "./api-client.js";
import { CliError } from "./errors.js";

export interface QueryFlags extends ApiFlags {
  package?: string;
  below?: string;
  atLeast?: string;
  countBy?: string;
  type: string;
}

/** Columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join("  ");
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}

/** Every entity of a GetInventory query, page after page. */
async function entities(
  client: SSMClient,
  input: { Filters?: InventoryFilter[]; ResultAttributes?: { TypeName: string }[] },
): Promise<InventoryResultEntity[]> {
  const out: InventoryResultEntity[] = [];
  let NextToken: string | undefined;
  do {
    const r = await client.send(new GetInventoryCommand({ ...input, NextToken, MaxResults: 50 }));
    out.push(...(r.Entities ?? []));
    NextToken = r.NextToken;
  } while (NextToken);
  return out;
}

/**
 * `openssm inventory query`: with --package, the nodes that have it (and whose version is --below /
 * --at-least one), with their name, platform and version; otherwise counts of nodes by an attribute.
 */
export async function inventoryQuery(flags: QueryFlags): Promise<void> {
  const client = ssmClient(resolveApi(flags));
  try {
    if (!flags.package) {
      if (flags.below || flags.atLeast) throw new CliError("--below and --at-least go with --package");
      const expression = flags.countBy ?? "AWS:InstanceInformation.PlatformName";
      const r = await client.send(new GetInventoryCommand({ Aggregators: [{ Expression: expression }] }));
      const data = Object.values(r.Entities?.[0]?.Data ?? {})[0];
      const attribute = expression.slice(expression.lastIndexOf(".") + 1);
      const rows = (data?.Content ?? []).map((c) => [c[attribute] ?? "(none)", c.Count ?? "0"]);
      process.stdout.write(table([attribute.toUpperCase(), "NODES"], rows));
      return;
    }
    if (flags.below && flags.atLeast) throw new CliError("give --below or --at-least, not both");
    const filters: InventoryFilter[] = [{ Key: `${flags.type}.Name`, Values: [flags.package], Type: "Equal" }];
    if (flags.below) filters.push({ Key: `${flags.type}.Version`, Values: [flags.below], Type: "LessThan" });
    if (flags.atLeast)
      filters.push(
        { Key: `${flags.type}.Version`, Values: [flags.atLeast], Type: "GreaterThan" },
        { Key: `${flags.type}.Version`, Values: [flags.atLeast], Type: "Equal" },
      );
    // At least: greater than or equal, asked as two queries (filters on one type must all hold).
    const selections = flags.atLeast ? [filters.slice(0, 2), [filters[0], filters[2]]] : [filters];
    const nodes = new Map<string, InventoryResultEntity>();
    const apps = new Map<string, InventoryResultEntity>();
    for (const f of selections) {
      for (const e of await entities(client, { Filters: f })) nodes.set(String(e.Id), e);
      for (const e of await entities(client, { Filters: f, ResultAttributes: [{ TypeName: flags.type }] })) apps.set(String(e.Id), e);
    }
    const rows = [...nodes.keys()].sort().map((id) => {
      const info = nodes.get(id)?.Data?.["AWS:InstanceInformation"]?.Content?.[0] ?? {};
      const versions = (apps.get(id)?.Data?.[flags.type]?.Content ?? []).filter((c) => c.Name === flags.package).map((c) => c.Version ?? "");
      return [id, info.ComputerName ?? "", `${info.PlatformName ?? ""} ${info.PlatformVersion ?? ""}`.trim(), versions.join(", ")];
    });
    process.stdout.write(table(["NODE", "COMPUTER", "PLATFORM", "VERSION"], rows));
    process.stderr.write(`${rows.length} node${rows.length === 1 ? "" : "s"}\n`);
  } catch (e) {
    throw apiError("GetInventory", e);
  } finally {
    client.destroy();
  }
}

import { DescribeInstanceInformationCommand, type InstanceInformation, ListTagsForResourceCommand, type Tag } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import PieChart from "@cloudscape-design/components/pie-chart";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import Pagination from "@cloudscape-design/components/pagination";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useEffect, useState } from "react";
import { useApi } from "../../api/context";
import { hrefOf } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { fetchAll, mapLimit } from "../../components/fetch-all";
import { useLoad, when } from "../../components/load";
import { TagList } from "../../components/TagList";

export type NodeRow = InstanceInformation & { Tags?: Tag[] };

export function PingStatus({ status }: { status?: string }) {
  const type = status === "Online" ? "success" : status === "ConnectionLost" ? "error" : "stopped";
  return <StatusIndicator type={type}>{status ?? "Unknown"}</StatusIndicator>;
}

/** Nodes per page of the table; tags are read for the page shown only. */
const PAGE_SIZE = 20;

/** Fleet Manager: every managed node with its ping status, platform, agent and tags. */
export function NodeList() {
  const api = useApi();
  const [filter, setFilter] = useState("");
  const [page, setPage] = useState(1);
  const nodes = useLoad(async (a) => {
    const all = await fetchAll(async (NextToken) => {
      const r = await a.ssm.send(new DescribeInstanceInformationCommand({ NextToken, MaxResults: 50 }));
      return { items: r.InstanceInformationList, next: r.NextToken };
    });
    return { rows: all.items as NodeRow[], more: all.more };
  }, []);
  // Tags, by node: DescribeInstanceInformation has none, so they are read (ListTagsForResource) for the
  // nodes on the page shown, once each, rather than for the whole fleet. null: they may not be read.
  const [tags, setTags] = useState<Map<string, Tag[] | null>>(new Map());
  const rows = (nodes.data?.rows ?? []).map((n) => ({ ...n, Tags: tags.get(n.InstanceId ?? "") ?? undefined }));
  const needle = filter.toLowerCase();
  const shown = rows.filter((n) =>
    [n.InstanceId, n.ComputerName, n.Name, n.PlatformName, n.IPAddress, n.PingStatus, ...(n.Tags ?? []).map((t) => `${t.Key}=${t.Value}`)]
      .join(" ")
      .toLowerCase()
      .includes(needle),
  );
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const current = Math.min(page, pages);
  const pageRows = shown.slice((current - 1) * PAGE_SIZE, current * PAGE_SIZE);
  const missing = pageRows.map((n) => n.InstanceId ?? "").filter((id) => id && !tags.has(id));
  const missingKey = missing.join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: missingKey stands for missing
  useEffect(() => {
    if (!missing.length) return;
    let live = true;
    void mapLimit(missing, 8, async (id) => {
      try {
        const t = await api.ssm.send(new ListTagsForResourceCommand({ ResourceType: "ManagedInstance", ResourceId: id }));
        return [id, t.TagList ?? []] as const;
      } catch {
        return [id, null] as const;
      }
    }).then((found) => {
      if (live) setTags((old) => new Map([...old, ...found]));
    });
    return () => {
      live = false;
    };
  }, [api, missingKey]);
  const counts = new Map<string, number>();
  for (const n of rows) counts.set(n.PingStatus ?? "Unknown", (counts.get(n.PingStatus ?? "Unknown") ?? 0) + 1);

  return (
    <SpaceBetween size="l">
      <ErrorAlert error={nodes.error} />
      <Container header={<Header variant="h2">Ping status</Header>}>
        <PieChart
          data={[...counts].map(([title, value]) => ({ title, value }))}
          ariaLabel="Managed nodes by ping status"
          ariaDescription="How many managed nodes are online, have lost their connection or are inactive."
          size="small"
          hideFilter
          statusType={nodes.loading && !nodes.data ? "loading" : "finished"}
          empty={<Box textAlign="center">No managed nodes</Box>}
          detailPopoverContent={(d, sum) => [{ key: "Share", value: `${((d.value / sum) * 100).toFixed(0)}%` }]}
        />
      </Container>
      <Table
        data-testid="nodes-table"
        variant="full-page"
        items={pageRows}
        loading={nodes.loading && !nodes.data}
        loadingText="Loading managed nodes"
        trackBy="InstanceId"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${rows.length}${nodes.data?.more ? "+" : ""})`}
            description="Nodes registered with a hybrid activation and running an agent."
            actions={<Button iconName="refresh" ariaLabel="Refresh" onClick={nodes.reload} />}
          >
            Managed nodes
          </Header>
        }
        filter={
          <TextFilter
            filteringText={filter}
            onChange={(e) => setFilter(e.detail.filteringText)}
            filteringPlaceholder="Find nodes by id, name, platform, tag"
            filteringAriaLabel="Filter nodes"
            countText={`${shown.length} matches`}
          />
        }
        pagination={
          <Pagination
            currentPageIndex={current}
            pagesCount={pages}
            onChange={(e) => setPage(e.detail.currentPageIndex)}
            ariaLabels={{ nextPageLabel: "Next page", previousPageLabel: "Previous page", pageLabel: (n) => `Page ${n}` }}
          />
        }
        empty={<Box textAlign="center">No managed nodes. Register one with an activation code (openssm-agent register).</Box>}
        columnDefinitions={[
          { id: "id", header: "Node ID", cell: (n) => <Link href={hrefOf(`/nodes/${n.InstanceId}`)}>{n.InstanceId}</Link> },
          { id: "name", header: "Name", cell: (n) => n.Name || n.ComputerName || "-" },
          { id: "ping", header: "Ping status", cell: (n) => <PingStatus status={n.PingStatus} /> },
          { id: "platform", header: "Platform", cell: (n) => [n.PlatformName, n.PlatformVersion].filter(Boolean).join(" ") || n.PlatformType || "-" },
          { id: "agent", header: "Agent version", cell: (n) => n.AgentVersion ?? "-" },
          { id: "ip", header: "IP address", cell: (n) => n.IPAddress ?? "-" },
          {
            id: "tags",
            header: "Tags",
            cell: (n) => (tags.has(n.InstanceId ?? "") ? tags.get(n.InstanceId ?? "") === null ? "-" : <TagList tags={n.Tags} /> : "..."),
          },
          { id: "seen", header: "Last ping", cell: (n) => when(n.LastPingDateTime) },
        ]}
      />
    </SpaceBetween>
  );
}

import { ListDocumentsCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Tabs from "@cloudscape-design/components/tabs";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useState } from "react";
import { type PageProps, hrefOf, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { fetchAll } from "../../components/fetch-all";
import { useLoad, when } from "../../components/load";

const OWNERS = { self: "Self", amazon: "Amazon", shared: "Private" } as const;
type Owner = keyof typeof OWNERS;

/** Documents: owned by me, owned by Amazon, shared with me. */
export function DocumentList({ query }: PageProps) {
  const [tab, setTab] = useState<Owner>((query.get("owner") as Owner) in OWNERS ? (query.get("owner") as Owner) : "self");
  const [filter, setFilter] = useState("");
  const docs = useLoad(
    async (a) => {
      const r = await fetchAll(async (NextToken) => {
        const p = await a.ssm.send(new ListDocumentsCommand({ Filters: [{ Key: "Owner", Values: [OWNERS[tab]] }], NextToken, MaxResults: 50 }));
        return { items: p.DocumentIdentifiers, next: p.NextToken };
      }, 1000);
      return r.items;
    },
    [tab],
  );
  const items = (docs.data ?? []).filter((d) => (d.Name ?? "").toLowerCase().includes(filter.toLowerCase()));
  const table = (
    <Table
      items={items}
      trackBy="Name"
      loading={docs.loading}
      loadingText="Loading documents"
      header={
        <Header
          counter={`(${items.length})`}
          actions={
            <Button variant="primary" onClick={() => navigate("/documents/create")}>
              Create document
            </Button>
          }
        >
          Documents
        </Header>
      }
      filter={
        <TextFilter
          filteringText={filter}
          onChange={(e) => setFilter(e.detail.filteringText)}
          filteringPlaceholder="Find documents by name"
          filteringAriaLabel="Filter documents"
        />
      }
      empty={<Box textAlign="center">No documents.</Box>}
      columnDefinitions={[
        { id: "name", header: "Name", cell: (d) => <Link href={hrefOf(`/documents/${encodeURIComponent(d.Name ?? "")}`)}>{d.Name}</Link> },
        { id: "type", header: "Type", cell: (d) => d.DocumentType },
        { id: "format", header: "Format", cell: (d) => d.DocumentFormat },
        { id: "owner", header: "Owner", cell: (d) => d.Owner },
        { id: "version", header: "Default version", cell: (d) => d.DocumentVersion },
        { id: "platforms", header: "Platforms", cell: (d) => (d.PlatformTypes ?? []).join(", ") },
        { id: "created", header: "Created", cell: (d) => when(d.CreatedDate) },
      ]}
    />
  );
  return (
    <SpaceBetween size="m">
      <Header variant="h1" description="Command, Session, Automation and other documents: what nodes and automations run.">
        Documents
      </Header>
      <ErrorAlert error={docs.error} />
      <Tabs
        activeTabId={tab}
        onChange={(e) => setTab(e.detail.activeTabId as Owner)}
        tabs={[
          { id: "self", label: "Owned by me", content: tab === "self" ? table : null },
          { id: "amazon", label: "Owned by Amazon", content: tab === "amazon" ? table : null },
          { id: "shared", label: "Shared with me", content: tab === "shared" ? table : null },
        ]}
      />
    </SpaceBetween>
  );
}

import { GetInventoryCommand, type InventoryFilter } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useLoad } from "../../components/load";

/** Inventory: GetInventory's nodes with their AWS:InstanceInformation, filtered by a key and value (AWS:InstanceInformation.PlatformType = Linux). */
export function Inventory() {
  const [key, setKey] = useState("AWS:InstanceInformation.PlatformType");
  const [value, setValue] = useState("");
  const [filters, setFilters] = useState<InventoryFilter[]>([]);
  const inv = useLoad((a) => a.ssm.send(new GetInventoryCommand({ Filters: filters.length ? filters : undefined, MaxResults: 50 })), [filters]);
  const rows = (inv.data?.Entities ?? []).map((e) => {
    const info: Record<string, string | undefined> = e.Data?.["AWS:InstanceInformation"]?.Content?.[0] ?? {};
    return { id: e.Id ?? "", types: Object.keys(e.Data ?? {}).join(", "), info };
  });
  return (
    <SpaceBetween size="l">
      <ErrorAlert error={inv.error} />
      <Table
        variant="full-page"
        items={rows}
        trackBy="id"
        loading={inv.loading && !inv.data}
        loadingText="Loading inventory"
        header={
          <Header variant="awsui-h1-sticky" counter={`(${rows.length}${inv.data?.NextToken ? "+" : ""})`} description="What the nodes report about themselves.">
            Inventory
          </Header>
        }
        filter={
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setFilters(value ? [{ Key: key, Values: [value], Type: "Equal" }] : []);
            }}
          >
            <SpaceBetween direction="horizontal" size="xs">
              <FormField label="Attribute">
                <Input value={key} onChange={(e) => setKey(e.detail.value)} ariaLabel="Inventory attribute" />
              </FormField>
              <FormField label="Equals">
                <Input value={value} onChange={(e) => setValue(e.detail.value)} ariaLabel="Attribute value" />
              </FormField>
              <Box padding={{ top: "l" }}>
                <Button>Filter</Button>
              </Box>
            </SpaceBetween>
          </form>
        }
        empty={<Box textAlign="center">No node has reported inventory{filters.length ? " matching this filter" : ""}.</Box>}
        columnDefinitions={[
          { id: "id", header: "Node", cell: (r) => r.id },
          { id: "name", header: "Computer name", cell: (r) => r.info.ComputerName ?? "-" },
          { id: "platform", header: "Platform", cell: (r) => [r.info.PlatformName, r.info.PlatformVersion].filter(Boolean).join(" ") || "-" },
          { id: "ip", header: "IP address", cell: (r) => r.info.IpAddress ?? "-" },
          { id: "agent", header: "Agent", cell: (r) => r.info.AgentVersion ?? "-" },
          { id: "types", header: "Inventory types", cell: (r) => r.types || "-" },
        ]}
      />
    </SpaceBetween>
  );
}

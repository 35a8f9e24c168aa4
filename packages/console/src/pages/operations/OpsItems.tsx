import { DescribeOpsItemsCommand, GetOpsItemCommand, type OpsItemSummary, UpdateOpsItemCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import FormField from "@cloudscape-design/components/form-field";
import { useState } from "react";
import { useApi } from "../../api/context";
import { hrefOf, type PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";

const STATUSES = ["Open", "InProgress", "Resolved"].map((s) => ({ value: s, label: s }));

/** OpsCenter: OpsItems, newest first. */
export function OpsItemList() {
  const list = useLoad((a) => a.ssm.send(new DescribeOpsItemsCommand({ MaxResults: 50 })), []);
  const items: OpsItemSummary[] = list.data?.OpsItemSummaries ?? [];
  return (
    <>
      <ErrorAlert error={list.error} />
      <Table
        variant="full-page"
        items={items}
        trackBy="OpsItemId"
        loading={list.loading && !list.data}
        loadingText="Loading OpsItems"
        header={
          <Header variant="awsui-h1-sticky" counter={`(${items.length}${list.data?.NextToken ? "+" : ""})`}>
            OpsItems
          </Header>
        }
        empty={<Box textAlign="center">No OpsItems.</Box>}
        columnDefinitions={[
          { id: "id", header: "OpsItem ID", cell: (o) => <Link href={hrefOf(`/ops-items/${o.OpsItemId}`)}>{o.OpsItemId}</Link> },
          { id: "title", header: "Title", cell: (o) => o.Title },
          { id: "status", header: "Status", cell: (o) => o.Status },
          { id: "severity", header: "Severity", cell: (o) => o.Severity ?? "-" },
          { id: "priority", header: "Priority", cell: (o) => o.Priority ?? "-" },
          { id: "source", header: "Source", cell: (o) => o.Source },
          { id: "modified", header: "Last modified", cell: (o) => when(o.LastModifiedTime) },
        ]}
      />
    </>
  );
}

/** One OpsItem: its fields, and its status changed with UpdateOpsItem. */
export function OpsItemDetails({ params }: PageProps) {
  const api = useApi();
  const item = useLoad((a) => a.ssm.send(new GetOpsItemCommand({ OpsItemId: params.id })), [params.id]);
  const [error, setError] = useState<unknown>();
  const o = item.data?.OpsItem;
  const [status, setStatus] = useState<string>();
  const save = async () => {
    setError(undefined);
    try {
      await api.ssm.send(new UpdateOpsItemCommand({ OpsItemId: params.id, Status: (status ?? o?.Status) as "Open" }));
      item.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <SpaceBetween size="l">
      <Header variant="h1">{o?.Title ?? params.id}</Header>
      <ErrorAlert error={item.error} />
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      <Container header={<Header variant="h2">OpsItem</Header>}>
        <KeyValue
          pairs={[
            ["ID", o?.OpsItemId],
            [
              "Status",
              o ? (
                <span key="status" data-testid="opsitem-status">
                  {o.Status}
                </span>
              ) : undefined,
            ],
            ["Source", o?.Source],
            ["Severity", o?.Severity],
            ["Priority", o?.Priority],
            ["Category", o?.Category],
            ["Created", when(o?.CreatedTime)],
            ["Last modified", when(o?.LastModifiedTime)],
            ["Description", o?.Description],
          ]}
        />
      </Container>
      <Container header={<Header variant="h2">Update</Header>}>
        <SpaceBetween direction="horizontal" size="xs">
          <FormField label="Status">
            <Select
              selectedOption={STATUSES.find((s) => s.value === (status ?? o?.Status)) ?? null}
              onChange={(e) => setStatus(e.detail.selectedOption.value)}
              options={STATUSES}
              ariaLabel="Status"
            />
          </FormField>
          <Box padding={{ top: "l" }}>
            <Button onClick={save}>Save</Button>
          </Box>
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}

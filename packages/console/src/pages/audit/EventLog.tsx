import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { useApi } from "../../api/context";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useLoad, when } from "../../components/load";
import { admin } from "../iam/admin-api";

interface BusEvent {
  Id: string;
  Time: number;
  DetailType: string;
  Source: string;
  Region: string;
  Resources: string[];
  Detail: string;
}

type Page = { Events: BusEvent[]; NextToken?: string };

/** The event log: the EventBridge-shaped state changes webhooks and automation receive, newest first. */
export function EventLog() {
  const api = useApi();
  const [detailType, setDetailType] = useState("");
  const [applied, setApplied] = useState("");
  const [more, setMore] = useState<Page>({ Events: [] });
  const [error, setError] = useState<unknown>();
  const first = useLoad((a) => admin<Page>(a, "ListEvents", { MaxResults: 50, ...(applied ? { DetailType: applied } : {}) }), [applied]);
  const events = [...(first.data?.Events ?? []), ...more.Events];
  const next = more.Events.length ? more.NextToken : first.data?.NextToken;
  const loadMore = async () => {
    try {
      const r = await admin<Page>(api, "ListEvents", { MaxResults: 50, NextToken: next, ...(applied ? { DetailType: applied } : {}) });
      setMore((m) => ({ Events: [...m.Events, ...r.Events], NextToken: r.NextToken }));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <SpaceBetween size="l">
      <ErrorAlert error={first.error} />
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      <Table
        variant="full-page"
        items={events}
        trackBy="Id"
        wrapLines
        loading={first.loading && !first.data}
        loadingText="Loading events"
        header={
          <Header variant="awsui-h1-sticky" counter={`(${events.length}${next ? "+" : ""})`} description="State changes, as webhooks receive them.">
            Events
          </Header>
        }
        filter={
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setMore({ Events: [] });
              setApplied(detailType);
            }}
          >
            <SpaceBetween direction="horizontal" size="xs">
              <FormField label="Detail type">
                <Input value={detailType} onChange={(e) => setDetailType(e.detail.value)} placeholder="Parameter Store Change" ariaLabel="Detail type" />
              </FormField>
              <Box padding={{ top: "l" }}>
                <Button>Filter</Button>
              </Box>
            </SpaceBetween>
          </form>
        }
        empty={<Box textAlign="center">No events.</Box>}
        columnDefinitions={[
          { id: "time", header: "Time", cell: (e) => when(e.Time) },
          { id: "type", header: "Detail type", cell: (e) => e.DetailType },
          { id: "source", header: "Source", cell: (e) => e.Source },
          { id: "resources", header: "Resources", cell: (e) => e.Resources.join(", ") || "-" },
          { id: "detail", header: "Detail", cell: (e) => <code>{e.Detail}</code> },
        ]}
      />
      {next ? <Button onClick={loadMore}>Load more</Button> : null}
    </SpaceBetween>
  );
}

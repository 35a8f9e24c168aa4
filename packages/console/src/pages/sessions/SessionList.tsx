import { DescribeSessionsCommand, type Session, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { useApi } from "../../api/context";
import { hrefOf, type PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { usePoll, when } from "../../components/load";

/** Session Manager: active sessions (terminate) and the history (replay). */
export function SessionList({ query }: PageProps) {
  const api = useApi();
  const [state, setState] = useState<"Active" | "History">(query.get("state") === "History" ? "History" : "Active");
  const [selected, setSelected] = useState<Session[]>([]);
  const [error, setError] = useState<unknown>();
  const sessions = usePoll((a) => a.ssm.send(new DescribeSessionsCommand({ State: state, MaxResults: 50 })), 5000, [state]);
  const items = sessions.data?.Sessions ?? [];
  const terminate = async () => {
    setError(undefined);
    try {
      for (const s of selected) await api.ssm.send(new TerminateSessionCommand({ SessionId: s.SessionId }));
      setSelected([]);
      sessions.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <SpaceBetween size="m">
      <ErrorAlert error={sessions.error} />
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      <SegmentedControl
        selectedId={state}
        onChange={(e) => {
          setState(e.detail.selectedId as "Active" | "History");
          setSelected([]);
        }}
        label="Sessions to show"
        options={[
          { id: "Active", text: "Sessions" },
          { id: "History", text: "Session history" },
        ]}
      />
      <Table
        variant="full-page"
        items={items}
        trackBy="SessionId"
        selectionType={state === "Active" ? "multi" : undefined}
        selectedItems={selected}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
        ariaLabels={{ selectionGroupLabel: "Sessions", itemSelectionLabel: (_s, x) => x.SessionId ?? "", allItemsSelectionLabel: () => "All sessions" }}
        loading={sessions.loading && !sessions.data}
        loadingText="Loading sessions"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length})`}
            description={state === "Active" ? "Shells and port forwarding open now." : "Sessions that ended; recorded ones can be replayed."}
            actions={
              state === "Active" ? (
                <Button disabled={selected.length === 0} onClick={terminate}>
                  Terminate
                </Button>
              ) : undefined
            }
          >
            {state === "Active" ? "Active sessions" : "Session history"}
          </Header>
        }
        empty={<Box textAlign="center">{state === "Active" ? "No active sessions." : "No sessions yet."}</Box>}
        columnDefinitions={[
          { id: "id", header: "Session ID", cell: (s) => <Link href={hrefOf(`/sessions/${s.SessionId}`)}>{s.SessionId}</Link> },
          { id: "target", header: "Node", cell: (s) => <Link href={hrefOf(`/nodes/${s.Target}`)}>{s.Target}</Link> },
          { id: "owner", header: "Owner", cell: (s) => s.Owner },
          { id: "doc", header: "Document", cell: (s) => s.DocumentName ?? "-" },
          { id: "status", header: "Status", cell: (s) => s.Status },
          { id: "reason", header: "Reason", cell: (s) => s.Reason ?? "-" },
          { id: "start", header: "Started", cell: (s) => when(s.StartDate) },
          { id: "end", header: "Ended", cell: (s) => when(s.EndDate) },
        ]}
      />
    </SpaceBetween>
  );
}

import { ListCommandsCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { type PageProps, hrefOf, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { usePoll, when } from "../../components/load";
import { CommandStatus } from "./CommandStatus";

/** Run Command: the commands sent, newest first, refreshed while shown. */
export function CommandHistory({ query }: PageProps) {
  const target = query.get("target");
  const commands = usePoll((api) => api.ssm.send(new ListCommandsCommand({ MaxResults: 50 })), 5000, []);
  const items = commands.data?.Commands ?? [];
  return (
    <SpaceBetween size="m">
      <ErrorAlert error={commands.error} />
      <Table
        variant="full-page"
        items={items}
        trackBy="CommandId"
        loading={commands.loading && !commands.data}
        loadingText="Loading commands"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length})`}
            description="Commands sent to managed nodes, with their status."
            actions={
              <Button variant="primary" onClick={() => navigate(`/run-command/run${target ? `?target=${encodeURIComponent(target)}` : ""}`)}>
                Run command
              </Button>
            }
          >
            Commands
          </Header>
        }
        empty={<Box textAlign="center">No commands yet.</Box>}
        columnDefinitions={[
          { id: "id", header: "Command ID", cell: (c) => <Link href={hrefOf(`/run-command/${c.CommandId}`)}>{c.CommandId}</Link> },
          { id: "doc", header: "Document", cell: (c) => c.DocumentName },
          { id: "status", header: "Status", cell: (c) => <CommandStatus status={c.Status} /> },
          { id: "targets", header: "Targets", cell: (c) => c.TargetCount ?? 0 },
          { id: "done", header: "Completed", cell: (c) => `${c.CompletedCount ?? 0} (${c.ErrorCount ?? 0} errors)` },
          { id: "at", header: "Requested", cell: (c) => when(c.RequestedDateTime) },
        ]}
      />
    </SpaceBetween>
  );
}

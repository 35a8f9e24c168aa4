import { CancelCommandCommand, ListCommandInvocationsCommand, ListCommandsCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import ExpandableSection from "@cloudscape-design/components/expandable-section";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useState } from "react";
import { useApi } from "../../api/context";
import { type PageProps, hrefOf } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { usePoll, when } from "../../components/load";
import { CommandStatus } from "./CommandStatus";

const TERMINAL = new Set([
  "Success",
  "Failed",
  "Cancelled",
  "TimedOut",
  "DeliveryTimedOut",
  "ExecutionTimedOut",
  "Undeliverable",
  "Terminated",
  "AccessDenied",
]);

/** One command: its status, and each node's status and output, polled until the command is done. */
export function CommandDetails({ params }: PageProps) {
  const api = useApi();
  const id = params.id;
  const [done, setDone] = useState(false);
  const [actionError, setActionError] = useState<unknown>();
  const data = usePoll(
    async (a) => {
      const [cmd, inv] = await Promise.all([
        a.ssm.send(new ListCommandsCommand({ CommandId: id })),
        a.ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true, MaxResults: 50 })),
      ]);
      const command = cmd.Commands?.[0];
      if (command?.Status && TERMINAL.has(command.Status)) setDone(true);
      return { command, invocations: inv.CommandInvocations ?? [] };
    },
    done ? 0 : 1500,
    [id, done],
  );
  const c = data.data?.command;
  const cancel = async () => {
    setActionError(undefined);
    try {
      await api.ssm.send(new CancelCommandCommand({ CommandId: id }));
      setDone(false);
      data.reload();
    } catch (e) {
      setActionError(e);
    }
  };
  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={c?.Comment}
          actions={
            <Button onClick={cancel} disabled={!c || done}>
              Cancel command
            </Button>
          }
        >
          {`Command ${id}`}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ErrorAlert error={actionError} />
        <ErrorAlert error={data.error} />
        <Container header={<Header variant="h2">Command status</Header>}>
          <KeyValue
            pairs={[
              ["Status", <CommandStatus key="s" status={c?.Status} />],
              ["Document", c?.DocumentName],
              ["Requested", when(c?.RequestedDateTime)],
              ["Targets", c?.TargetCount],
              ["Completed", c?.CompletedCount],
              ["Errors", c?.ErrorCount],
              ["Concurrency", c?.MaxConcurrency],
              ["Error threshold", c?.MaxErrors],
              ["Delivery timed out", c?.DeliveryTimedOutCount],
            ]}
          />
        </Container>
        <Header variant="h2" counter={`(${data.data?.invocations.length ?? 0})`}>
          Targets and outputs
        </Header>
        {(data.data?.invocations ?? []).map((inv) => (
          <Container
            key={inv.InstanceId}
            data-testid={`invocation-${inv.InstanceId}`}
            header={
              <Header variant="h3" actions={<CommandStatus status={inv.Status} />}>
                <Link href={hrefOf(`/nodes/${inv.InstanceId}`)}>{inv.InstanceId}</Link>
              </Header>
            }
          >
            {(inv.CommandPlugins ?? []).map((p) => (
              <ExpandableSection
                key={p.Name}
                headerText={`${p.Name}: ${p.Status}${p.ResponseCode !== undefined ? ` (exit ${p.ResponseCode})` : ""}`}
                defaultExpanded
              >
                <Box variant="awsui-key-label">Output</Box>
                <pre className="openssm-output" data-testid={`output-${inv.InstanceId}`}>
                  {p.Output || ""}
                </pre>
              </ExpandableSection>
            ))}
            {(inv.CommandPlugins ?? []).length === 0 ? <Box color="text-status-inactive">Waiting for the node.</Box> : null}
          </Container>
        ))}
      </SpaceBetween>
    </ContentLayout>
  );
}

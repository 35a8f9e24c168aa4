import { DescribeInstanceInformationCommand, DescribeSessionsCommand, ListCommandsCommand, ListTagsForResourceCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import CopyToClipboard from "@cloudscape-design/components/copy-to-clipboard";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { type PageProps, hrefOf, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";
import { TagList } from "../../components/TagList";
import { CommandStatus } from "../run-command/CommandStatus";
import { PingStatus } from "./NodeList";

/** One managed node: details, tags, recent commands and sessions, a terminal, port forwarding. */
export function NodeDetails({ params }: PageProps) {
  const id = params.id;
  const info = useLoad(
    async (api) => {
      const r = await api.ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: "InstanceIds", Values: [id] }] }));
      const node = r.InstanceInformationList?.[0];
      if (!node) throw { name: "InvalidInstanceId", message: `There is no managed node ${id} in ${api.region}.` };
      return node;
    },
    [id],
  );
  const tags = useLoad((api) => api.ssm.send(new ListTagsForResourceCommand({ ResourceType: "ManagedInstance", ResourceId: id })), [id]);
  const commands = useLoad((api) => api.ssm.send(new ListCommandsCommand({ InstanceId: id, MaxResults: 10 })), [id]);
  const sessions = useLoad(
    async (api) => {
      const filters = [{ key: "Target" as const, value: id }];
      const [active, history] = await Promise.all([
        api.ssm.send(new DescribeSessionsCommand({ State: "Active", Filters: filters })),
        api.ssm.send(new DescribeSessionsCommand({ State: "History", Filters: filters, MaxResults: 10 })),
      ]);
      return [...(active.Sessions ?? []), ...(history.Sessions ?? [])];
    },
    [id],
  );
  const n = info.data;
  const origin = window.location.origin;
  const portCommand = `openssm session port-forward --target ${id} --remote-port 80 --local-port 8080 --endpoint-url ${origin}`;
  const awsCommand = `aws ssm start-session --endpoint-url ${origin} --target ${id} --document-name AWS-StartPortForwardingSession --parameters '{"portNumber":["80"],"localPortNumber":["8080"]}'`;

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={n?.Name || n?.ComputerName}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button onClick={() => navigate(`/run-command?target=${encodeURIComponent(id)}`)}>Run command</Button>
              <Button variant="primary" disabled={n?.PingStatus !== "Online"} onClick={() => navigate(`/nodes/${id}/terminal`)}>
                Start terminal session
              </Button>
            </SpaceBetween>
          }
        >
          {id}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ErrorAlert error={info.error} />
        <Container header={<Header variant="h2">Node details</Header>}>
          <KeyValue
            pairs={[
              ["Ping status", n ? <PingStatus key="ping" status={n.PingStatus} /> : "-"],
              ["Platform", n ? [n.PlatformName, n.PlatformVersion].filter(Boolean).join(" ") : "-"],
              ["Platform type", n?.PlatformType],
              ["Agent version", n?.AgentVersion],
              ["Computer name", n?.ComputerName],
              ["IP address", n?.IPAddress],
              ["Last ping", when(n?.LastPingDateTime)],
              ["Registered", when(n?.RegistrationDate)],
              ["Activation", n?.ActivationId],
              ["IAM role", n?.IamRole],
              ["Resource type", n?.ResourceType],
            ]}
          />
        </Container>
        <Container header={<Header variant="h2">Tags</Header>}>
          <ErrorAlert error={tags.error} />
          <TagList tags={tags.data?.TagList} />
        </Container>
        <Container
          header={
            <Header variant="h2" description="Forwarding runs on your machine, so it is a command to run there.">
              Port forwarding
            </Header>
          }
        >
          <SpaceBetween size="s">
            <CopyToClipboard
              variant="inline"
              textToCopy={portCommand}
              copyButtonAriaLabel="Copy the openssm command"
              copySuccessText="Copied"
              copyErrorText="Could not copy"
            />
            <CopyToClipboard
              variant="inline"
              textToCopy={awsCommand}
              copyButtonAriaLabel="Copy the aws CLI command"
              copySuccessText="Copied"
              copyErrorText="Could not copy"
            />
          </SpaceBetween>
        </Container>
        <Table
          header={
            <Header variant="h2" counter={`(${commands.data?.Commands?.length ?? 0})`}>
              Recent commands
            </Header>
          }
          items={commands.data?.Commands ?? []}
          loading={commands.loading && !commands.data}
          loadingText="Loading commands"
          empty={<Box textAlign="center">{commands.error ? <ErrorAlert error={commands.error} /> : "No commands ran on this node."}</Box>}
          columnDefinitions={[
            { id: "id", header: "Command ID", cell: (c) => <Link href={hrefOf(`/run-command/${c.CommandId}`)}>{c.CommandId}</Link> },
            { id: "doc", header: "Document", cell: (c) => c.DocumentName },
            { id: "status", header: "Status", cell: (c) => <CommandStatus status={c.Status} /> },
            { id: "at", header: "Requested", cell: (c) => when(c.RequestedDateTime) },
          ]}
        />
        <Table
          header={
            <Header variant="h2" counter={`(${sessions.data?.length ?? 0})`}>
              Sessions
            </Header>
          }
          items={sessions.data ?? []}
          loading={sessions.loading && !sessions.data}
          loadingText="Loading sessions"
          empty={<Box textAlign="center">{sessions.error ? <ErrorAlert error={sessions.error} /> : "No sessions on this node."}</Box>}
          columnDefinitions={[
            { id: "id", header: "Session ID", cell: (s) => <Link href={hrefOf(`/sessions/${s.SessionId}`)}>{s.SessionId}</Link> },
            { id: "owner", header: "Owner", cell: (s) => s.Owner },
            { id: "status", header: "Status", cell: (s) => s.Status },
            { id: "start", header: "Started", cell: (s) => when(s.StartDate) },
            { id: "end", header: "Ended", cell: (s) => when(s.EndDate) },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

import {
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowsCommand,
  DescribeMaintenanceWindowTargetsCommand,
  DescribeMaintenanceWindowTasksCommand,
  GetMaintenanceWindowCommand,
} from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { hrefOf, type PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";

/** Maintenance Windows: the windows with their schedules and next runs. */
export function WindowList() {
  const list = useLoad((a) => a.ssm.send(new DescribeMaintenanceWindowsCommand({ MaxResults: 50 })), []);
  const items = list.data?.WindowIdentities ?? [];
  return (
    <>
      <ErrorAlert error={list.error} />
      <Table
        variant="full-page"
        items={items}
        trackBy="WindowId"
        loading={list.loading && !list.data}
        loadingText="Loading maintenance windows"
        header={
          <Header variant="awsui-h1-sticky" counter={`(${items.length}${list.data?.NextToken ? "+" : ""})`}>
            Maintenance Windows
          </Header>
        }
        empty={<Box textAlign="center">No maintenance windows.</Box>}
        columnDefinitions={[
          { id: "id", header: "Window ID", cell: (w) => <Link href={hrefOf(`/maintenance-windows/${w.WindowId}`)}>{w.WindowId}</Link> },
          { id: "name", header: "Name", cell: (w) => w.Name },
          { id: "enabled", header: "Enabled", cell: (w) => (w.Enabled ? "Yes" : "No") },
          { id: "schedule", header: "Schedule", cell: (w) => w.Schedule },
          { id: "duration", header: "Duration (h)", cell: (w) => w.Duration },
          { id: "next", header: "Next execution", cell: (w) => w.NextExecutionTime ?? "-" },
        ]}
      />
    </>
  );
}

/** One window: its settings, targets, tasks and executions. */
export function WindowDetails({ params }: PageProps) {
  const id = params.id;
  const w = useLoad((a) => a.ssm.send(new GetMaintenanceWindowCommand({ WindowId: id })), [id]);
  const targets = useLoad((a) => a.ssm.send(new DescribeMaintenanceWindowTargetsCommand({ WindowId: id, MaxResults: 50 })), [id]);
  const tasks = useLoad((a) => a.ssm.send(new DescribeMaintenanceWindowTasksCommand({ WindowId: id, MaxResults: 50 })), [id]);
  const execs = useLoad((a) => a.ssm.send(new DescribeMaintenanceWindowExecutionsCommand({ WindowId: id, MaxResults: 50 })), [id]);
  const d = w.data;
  return (
    <SpaceBetween size="l">
      <Header variant="h1">{d?.Name ?? id}</Header>
      <ErrorAlert error={w.error} />
      <ErrorAlert error={targets.error} />
      <ErrorAlert error={tasks.error} />
      <ErrorAlert error={execs.error} />
      <Container header={<Header variant="h2">Window</Header>}>
        <KeyValue
          pairs={[
            ["ID", d?.WindowId],
            ["Schedule", d?.Schedule],
            ["Time zone", d?.ScheduleTimezone],
            ["Duration / cutoff (h)", d ? `${d.Duration} / ${d.Cutoff}` : undefined],
            ["Enabled", d ? (d.Enabled ? "Yes" : "No") : undefined],
            ["Next execution", d?.NextExecutionTime],
          ]}
        />
      </Container>
      <Table
        items={targets.data?.Targets ?? []}
        trackBy="WindowTargetId"
        header={<Header counter={`(${targets.data?.Targets?.length ?? 0})`}>Targets</Header>}
        empty={<Box textAlign="center">No targets.</Box>}
        columnDefinitions={[
          { id: "id", header: "Target ID", cell: (t) => t.WindowTargetId },
          { id: "name", header: "Name", cell: (t) => t.Name ?? "-" },
          { id: "targets", header: "Targets", cell: (t) => (t.Targets ?? []).map((x) => `${x.Key}=${(x.Values ?? []).join(",")}`).join("; ") },
        ]}
      />
      <Table
        items={tasks.data?.Tasks ?? []}
        trackBy="WindowTaskId"
        header={<Header counter={`(${tasks.data?.Tasks?.length ?? 0})`}>Tasks</Header>}
        empty={<Box textAlign="center">No tasks.</Box>}
        columnDefinitions={[
          { id: "id", header: "Task ID", cell: (t) => t.WindowTaskId },
          { id: "type", header: "Type", cell: (t) => t.Type },
          { id: "arn", header: "Document", cell: (t) => t.TaskArn },
          { id: "priority", header: "Priority", cell: (t) => t.Priority },
        ]}
      />
      <Table
        items={execs.data?.WindowExecutions ?? []}
        trackBy="WindowExecutionId"
        header={<Header counter={`(${execs.data?.WindowExecutions?.length ?? 0})`}>Executions</Header>}
        empty={<Box textAlign="center">The window has not run yet.</Box>}
        columnDefinitions={[
          { id: "id", header: "Execution ID", cell: (x) => x.WindowExecutionId },
          { id: "status", header: "Status", cell: (x) => x.Status },
          { id: "start", header: "Started", cell: (x) => when(x.StartTime) },
          { id: "end", header: "Ended", cell: (x) => when(x.EndTime) },
        ]}
      />
    </SpaceBetween>
  );
}

import {
  CreateMaintenanceWindowCommand,
  DescribeMaintenanceWindowExecutionsCommand,
  DescribeMaintenanceWindowsCommand,
  DescribeMaintenanceWindowTargetsCommand,
  DescribeMaintenanceWindowTasksCommand,
  GetMaintenanceWindowCommand,
} from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Checkbox from "@cloudscape-design/components/checkbox";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { useApi } from "../../api/context";
import { hrefOf, navigate, type PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";
import { useSubmit } from "../../components/use-submit";

/** Maintenance Windows: the windows with their schedules and next runs, and a form to create one. */
export function WindowList() {
  const list = useLoad((a) => a.ssm.send(new DescribeMaintenanceWindowsCommand({ MaxResults: 50 })), []);
  const items = list.data?.WindowIdentities ?? [];
  return (
    <SpaceBetween size="l">
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
      <CreateWindow />
    </SpaceBetween>
  );
}

/** CreateMaintenanceWindow: name, schedule (cron, rate or at), time zone, duration and cutoff. */
function CreateWindow() {
  const api = useApi();
  const [name, setName] = useState("");
  const [schedule, setSchedule] = useState("cron(0 2 ? * SUN *)");
  const [timezone, setTimezone] = useState("");
  const [duration, setDuration] = useState("3");
  const [cutoff, setCutoff] = useState("1");
  const [unassociated, setUnassociated] = useState(false);
  const { busy, error, submitting } = useSubmit();
  const create = () =>
    submitting(async () => {
      const r = await api.ssm.send(
        new CreateMaintenanceWindowCommand({
          Name: name,
          Schedule: schedule,
          ScheduleTimezone: timezone || undefined,
          Duration: Number(duration),
          Cutoff: Number(cutoff),
          AllowUnassociatedTargets: unassociated,
        }),
      );
      navigate(`/maintenance-windows/${r.WindowId}`);
    });
  return (
    <Form
      header={<Header variant="h2">Create maintenance window</Header>}
      actions={
        <Button variant="primary" onClick={create} loading={busy} disabled={!name || !schedule || !duration || !cutoff}>
          Create maintenance window
        </Button>
      }
      errorText={error ? <ErrorAlert error={error} /> : undefined}
    >
      <Container>
        <ColumnLayout columns={2}>
          <FormField label="Name">
            <Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel="Window name" />
          </FormField>
          <FormField label="Schedule" description="cron(...), rate(...) or at(...).">
            <Input value={schedule} onChange={(e) => setSchedule(e.detail.value)} ariaLabel="Window schedule" />
          </FormField>
          <FormField label="Time zone - optional" description="IANA name, such as Europe/Paris; default UTC.">
            <Input value={timezone} onChange={(e) => setTimezone(e.detail.value)} ariaLabel="Time zone" />
          </FormField>
          <FormField label="Duration (hours)">
            <Input type="number" value={duration} onChange={(e) => setDuration(e.detail.value)} ariaLabel="Duration in hours" />
          </FormField>
          <FormField label="Stop starting tasks (hours before the end)">
            <Input type="number" value={cutoff} onChange={(e) => setCutoff(e.detail.value)} ariaLabel="Cutoff in hours" />
          </FormField>
          <FormField label="Targets">
            <Checkbox checked={unassociated} onChange={(e) => setUnassociated(e.detail.checked)}>
              Allow tasks on nodes that are not registered targets
            </Checkbox>
          </FormField>
        </ColumnLayout>
      </Container>
    </Form>
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

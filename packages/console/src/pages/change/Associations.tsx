import {
  type Association,
  CreateAssociationCommand,
  DescribeAssociationCommand,
  DescribeAssociationExecutionsCommand,
  ListAssociationsCommand,
  StartAssociationsOnceCommand,
} from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
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
import { useLoad, usePoll, when } from "../../components/load";

/** State Manager: associations, and a form to create one (document, tag target, schedule). */
export function AssociationList() {
  const api = useApi();
  const list = useLoad((a) => a.ssm.send(new ListAssociationsCommand({ MaxResults: 50 })), []);
  const [doc, setDoc] = useState("AWS-RunShellScript");
  const [tag, setTag] = useState("");
  const [schedule, setSchedule] = useState("rate(30 minutes)");
  const [params, setParams] = useState('{"commands":["uptime"]}');
  const [error, setError] = useState<unknown>();
  const items: Association[] = list.data?.Associations ?? [];
  const create = async () => {
    setError(undefined);
    try {
      const [k, v] = tag.split("=", 2);
      const r = await api.ssm.send(
        new CreateAssociationCommand({
          Name: doc,
          Targets: tag ? [{ Key: `tag:${k}`, Values: [v ?? ""] }] : [{ Key: "InstanceIds", Values: ["*"] }],
          ScheduleExpression: schedule || undefined,
          Parameters: params ? JSON.parse(params) : undefined,
        }),
      );
      navigate(`/state-manager/${r.AssociationDescription?.AssociationId}`);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <SpaceBetween size="l">
      <ErrorAlert error={list.error} />
      <Table
        variant="full-page"
        items={items}
        trackBy="AssociationId"
        loading={list.loading && !list.data}
        loadingText="Loading associations"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length}${list.data?.NextToken ? "+" : ""})`}
            description="Documents applied to nodes on a schedule."
          >
            State Manager
          </Header>
        }
        empty={<Box textAlign="center">No associations.</Box>}
        columnDefinitions={[
          { id: "id", header: "Association ID", cell: (a) => <Link href={hrefOf(`/state-manager/${a.AssociationId}`)}>{a.AssociationId}</Link> },
          { id: "name", header: "Name", cell: (a) => a.AssociationName ?? "-" },
          { id: "doc", header: "Document", cell: (a) => a.Name },
          {
            id: "targets",
            header: "Targets",
            cell: (a) => (a.Targets ?? []).map((t) => `${t.Key}=${(t.Values ?? []).join(",")}`).join("; ") || a.InstanceId || "-",
          },
          { id: "schedule", header: "Schedule", cell: (a) => a.ScheduleExpression ?? "-" },
          { id: "status", header: "Status", cell: (a) => a.Overview?.Status ?? "-" },
          { id: "last", header: "Last execution", cell: (a) => when(a.LastExecutionDate) },
        ]}
      />
      <Container header={<Header variant="h2">Create association</Header>}>
        <SpaceBetween size="m">
          <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
          <ColumnLayout columns={2}>
            <FormField label="Document">
              <Input value={doc} onChange={(e) => setDoc(e.detail.value)} ariaLabel="Document" />
            </FormField>
            <FormField label="Target tag" description="key=value; empty: every node.">
              <Input value={tag} onChange={(e) => setTag(e.detail.value)} ariaLabel="Target tag" />
            </FormField>
            <FormField label="Schedule" description="cron(...) or rate(...); empty: once.">
              <Input value={schedule} onChange={(e) => setSchedule(e.detail.value)} ariaLabel="Schedule" />
            </FormField>
            <FormField label="Parameters" description='JSON: {"name": ["value"]}'>
              <Input value={params} onChange={(e) => setParams(e.detail.value)} ariaLabel="Parameters" />
            </FormField>
          </ColumnLayout>
          <Button variant="primary" onClick={create} disabled={!doc}>
            Create association
          </Button>
        </SpaceBetween>
      </Container>
    </SpaceBetween>
  );
}

/** One association: its settings, "Apply association now", and its executions. */
export function AssociationDetails({ params }: PageProps) {
  const api = useApi();
  const id = params.id;
  const [error, setError] = useState<unknown>();
  // Polled: the status changes as the nodes apply the association.
  const desc = usePoll((a) => a.ssm.send(new DescribeAssociationCommand({ AssociationId: id })), 5_000, [id]);
  const execs = usePoll((a) => a.ssm.send(new DescribeAssociationExecutionsCommand({ AssociationId: id, MaxResults: 50 })), 5_000, [id]);
  const d = desc.data?.AssociationDescription;
  const runNow = async () => {
    setError(undefined);
    try {
      await api.ssm.send(new StartAssociationsOnceCommand({ AssociationIds: [id] }));
      execs.reload();
    } catch (e) {
      setError(e);
    }
  };
  const rows = execs.data?.AssociationExecutions ?? [];
  return (
    <SpaceBetween size="l">
      <Header variant="h1" actions={<Button onClick={runNow}>Apply association now</Button>}>
        {d?.AssociationName ?? id}
      </Header>
      <ErrorAlert error={desc.error} />
      <ErrorAlert error={execs.error} />
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      <Container header={<Header variant="h2">Association</Header>}>
        <KeyValue
          pairs={[
            ["ID", d?.AssociationId],
            ["Document", d?.Name],
            ["Version", d?.AssociationVersion],
            ["Schedule", d?.ScheduleExpression],
            ["Status", d?.Overview?.Status ? `${d.Overview.Status}${d.Overview.DetailedStatus ? ` (${d.Overview.DetailedStatus})` : ""}` : undefined],
            ["Targets", (d?.Targets ?? []).map((t) => `${t.Key}=${(t.Values ?? []).join(",")}`).join("; ")],
            ["Last execution", when(d?.LastExecutionDate)],
            ["Parameters", d?.Parameters ? JSON.stringify(d.Parameters) : undefined],
          ]}
        />
      </Container>
      <Table
        items={rows}
        trackBy="ExecutionId"
        header={
          <Header counter={`(${rows.length})`} actions={<Button iconName="refresh" ariaLabel="Refresh executions" onClick={execs.reload} />}>
            Executions
          </Header>
        }
        empty={<Box textAlign="center">No executions yet.</Box>}
        columnDefinitions={[
          { id: "id", header: "Execution ID", cell: (x) => x.ExecutionId },
          { id: "status", header: "Status", cell: (x) => x.Status },
          { id: "detail", header: "Detail", cell: (x) => x.DetailedStatus ?? "-" },
          { id: "count", header: "Resources", cell: (x) => x.ResourceCountByStatus ?? "-" },
          { id: "created", header: "Created", cell: (x) => when(x.CreatedTime) },
        ]}
      />
    </SpaceBetween>
  );
}

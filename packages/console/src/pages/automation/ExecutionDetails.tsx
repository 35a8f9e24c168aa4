import { GetAutomationExecutionCommand, SendAutomationSignalCommand, type StepExecution, StopAutomationExecutionCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { useApi } from "../../api/context";
import type { PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { usePoll, when } from "../../components/load";
import { statusType } from "./status";
import { useSubmit } from "../../components/use-submit";

const DONE = new Set(["Success", "Failed", "Cancelled", "TimedOut", "CompletedWithSuccess", "CompletedWithFailure"]);

const GRAPH = { display: "flex", flexWrap: "wrap", alignItems: "center", gap: "8px", listStyle: "none", margin: 0, padding: 0 } as const;
const NODE = { border: "1px solid #8c8c94", borderRadius: "8px", padding: "8px 12px", minWidth: "140px" } as const;

/** The steps in the order they ran, as a graph: one box per step with its action and status, arrows between. */
function StepGraph({ steps }: { steps: StepExecution[] }) {
  if (steps.length === 0) return <Box>No steps ran yet.</Box>;
  return (
    <ol style={GRAPH} aria-label="Step graph">
      {steps.map((s, i) => (
        <li key={s.StepExecutionId ?? i} style={GRAPH}>
          {i > 0 ? <span aria-hidden="true">→</span> : null}
          <div style={NODE}>
            <Box variant="strong" display="block">
              {s.StepName}
            </Box>
            <Box variant="small" display="block">
              {s.Action}
            </Box>
            <div>
              <StatusIndicator type={statusType(s.StepStatus)}>{s.StepStatus}</StatusIndicator>
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}

/** One automation execution: its steps (graph and table) and, when it waits at aws:approve, Approve / Reject. */
export function ExecutionDetails({ params }: PageProps) {
  const api = useApi();
  const id = params.id;
  const [comment, setComment] = useState("");
  const { busy, error, setError, submitting } = useSubmit();
  const exec = usePoll((a) => a.ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: id })), 3000, [id]);
  const e = exec.data?.AutomationExecution;
  const steps = e?.StepExecutions ?? [];
  const waitingApproval = steps.some((s) => s.Action === "aws:approve" && (s.StepStatus === "Waiting" || s.StepStatus === "InProgress"));
  const act = (fn: () => Promise<unknown>) =>
    submitting(async () => {
      await fn();
      exec.reload();
    });
  const signal = (SignalType: "Approve" | "Reject") =>
    act(() => api.ssm.send(new SendAutomationSignalCommand({ AutomationExecutionId: id, SignalType, Payload: comment ? { Comment: [comment] } : undefined })));
  return (
    <SpaceBetween size="l">
      <Header
        variant="h1"
        actions={
          e && !DONE.has(String(e.AutomationExecutionStatus)) ? (
            <Button loading={busy} onClick={() => act(() => api.ssm.send(new StopAutomationExecutionCommand({ AutomationExecutionId: id })))}>
              Cancel execution
            </Button>
          ) : undefined
        }
      >
        {id}
      </Header>
      <ErrorAlert error={exec.error} />
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      <Container header={<Header variant="h2">Execution</Header>}>
        <KeyValue
          pairs={[
            ["Runbook", e ? `${e.DocumentName} (version ${e.DocumentVersion ?? "default"})` : undefined],
            [
              "Status",
              e ? (
                <StatusIndicator key="status" type={statusType(e.AutomationExecutionStatus)}>
                  {e.AutomationExecutionStatus}
                </StatusIndicator>
              ) : undefined,
            ],
            ["Executed by", e?.ExecutedBy],
            ["Started", when(e?.ExecutionStartTime)],
            ["Ended", when(e?.ExecutionEndTime)],
            ["Failure", e?.FailureMessage],
          ]}
        />
      </Container>
      {waitingApproval ? (
        <Container
          header={
            <Header variant="h2" description="The runbook waits at an aws:approve step.">
              Approval
            </Header>
          }
        >
          <SpaceBetween size="m">
            <FormField label="Comment">
              <Input value={comment} onChange={(ev) => setComment(ev.detail.value)} ariaLabel="Approval comment" />
            </FormField>
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="primary" loading={busy} onClick={() => signal("Approve")}>
                Approve
              </Button>
              <Button loading={busy} onClick={() => signal("Reject")}>
                Reject
              </Button>
            </SpaceBetween>
          </SpaceBetween>
        </Container>
      ) : null}
      <Container header={<Header variant="h2">Step graph</Header>}>
        <StepGraph steps={steps} />
      </Container>
      <Table
        items={steps}
        trackBy="StepExecutionId"
        header={<Header counter={`(${steps.length})`}>Steps</Header>}
        empty={<Box textAlign="center">No steps ran yet.</Box>}
        wrapLines
        columnDefinitions={[
          { id: "name", header: "Step", cell: (s) => s.StepName },
          { id: "action", header: "Action", cell: (s) => s.Action },
          { id: "status", header: "Status", cell: (s) => <StatusIndicator type={statusType(s.StepStatus)}>{s.StepStatus}</StatusIndicator> },
          { id: "start", header: "Started", cell: (s) => when(s.ExecutionStartTime) },
          { id: "end", header: "Ended", cell: (s) => when(s.ExecutionEndTime) },
          { id: "outputs", header: "Outputs", cell: (s) => (s.Outputs ? <code>{JSON.stringify(s.Outputs)}</code> : "-") },
          { id: "failure", header: "Failure", cell: (s) => s.FailureMessage ?? "-" },
        ]}
      />
    </SpaceBetween>
  );
}

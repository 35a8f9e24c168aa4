import { type AutomationExecutionMetadata, DescribeAutomationExecutionsCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { hrefOf, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { usePoll, when } from "../../components/load";
import { statusType } from "./status";

/** Automation: executions, newest first, refreshed while shown. */
export function ExecutionList() {
  const list = usePoll((a) => a.ssm.send(new DescribeAutomationExecutionsCommand({ MaxResults: 50 })), 5000, []);
  const items: AutomationExecutionMetadata[] = list.data?.AutomationExecutionMetadataList ?? [];
  return (
    <>
      <ErrorAlert error={list.error} />
      <Table
        variant="full-page"
        items={items}
        trackBy="AutomationExecutionId"
        loading={list.loading && !list.data}
        loadingText="Loading executions"
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length}${list.data?.NextToken ? "+" : ""})`}
            description="Runbooks running and run."
            actions={
              <Button variant="primary" onClick={() => navigate("/automation/start")}>
                Execute automation
              </Button>
            }
          >
            Automation executions
          </Header>
        }
        empty={<Box textAlign="center">No executions yet.</Box>}
        columnDefinitions={[
          {
            id: "id",
            header: "Execution ID",
            cell: (e) => <Link href={hrefOf(`/automation/${e.AutomationExecutionId}`)}>{e.AutomationExecutionId}</Link>,
          },
          { id: "doc", header: "Runbook", cell: (e) => e.DocumentName },
          {
            id: "status",
            header: "Status",
            cell: (e) => <StatusIndicator type={statusType(e.AutomationExecutionStatus)}>{e.AutomationExecutionStatus}</StatusIndicator>,
          },
          { id: "step", header: "Current step", cell: (e) => e.CurrentStepName ?? "-" },
          { id: "by", header: "Executed by", cell: (e) => e.ExecutedBy ?? "-" },
          { id: "start", header: "Started", cell: (e) => when(e.ExecutionStartTime) },
          { id: "end", header: "Ended", cell: (e) => when(e.ExecutionEndTime) },
        ]}
      />
    </>
  );
}

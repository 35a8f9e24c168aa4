import { ListComplianceSummariesCommand, ListResourceComplianceSummariesCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import PieChart from "@cloudscape-design/components/pie-chart";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useLoad } from "../../components/load";

/** Compliance: compliant and non-compliant resources per type (a chart and a table), and per resource. */
export function Compliance() {
  const summary = useLoad((a) => a.ssm.send(new ListComplianceSummariesCommand({ MaxResults: 50 })), []);
  const resources = useLoad((a) => a.ssm.send(new ListResourceComplianceSummariesCommand({ MaxResults: 50 })), []);
  const types = summary.data?.ComplianceSummaryItems ?? [];
  const compliant = types.reduce((n, t) => n + (t.CompliantSummary?.CompliantCount ?? 0), 0);
  const nonCompliant = types.reduce((n, t) => n + (t.NonCompliantSummary?.NonCompliantCount ?? 0), 0);
  const rows = resources.data?.ResourceComplianceSummaryItems ?? [];
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="What nodes report against associations, patch baselines and custom compliance types.">
        Compliance
      </Header>
      <ErrorAlert error={summary.error} />
      <ErrorAlert error={resources.error} />
      <Container header={<Header variant="h2">Compliance resources summary</Header>}>
        <div data-testid="compliance-chart">
          <PieChart
            data={[
              { title: "Compliant", value: compliant },
              { title: "Non-compliant", value: nonCompliant },
            ]}
            ariaLabel="Compliant and non-compliant resources"
            ariaDescription="How many resource compliance items are compliant and how many are not."
            hideFilter
            size="medium"
            segmentDescription={(d, sum) => `${d.value} of ${sum}`}
            statusType={summary.loading && !summary.data ? "loading" : "finished"}
            empty={<Box textAlign="center">No compliance data reported yet.</Box>}
            i18nStrings={{ detailsValue: "Items", detailsPercentage: "Percentage", chartAriaRoleDescription: "pie chart" }}
          />
        </div>
      </Container>
      <Table
        items={types}
        trackBy="ComplianceType"
        header={<Header counter={`(${types.length})`}>By compliance type</Header>}
        empty={<Box textAlign="center">No compliance types.</Box>}
        columnDefinitions={[
          { id: "type", header: "Compliance type", cell: (t) => t.ComplianceType },
          { id: "ok", header: "Compliant", cell: (t) => t.CompliantSummary?.CompliantCount ?? 0 },
          { id: "no", header: "Non-compliant", cell: (t) => t.NonCompliantSummary?.NonCompliantCount ?? 0 },
        ]}
      />
      <Table
        items={rows}
        trackBy={(r) => `${r.ResourceId}/${r.ComplianceType}`}
        header={<Header counter={`(${rows.length})`}>Resources</Header>}
        empty={<Box textAlign="center">No resources reported.</Box>}
        columnDefinitions={[
          { id: "resource", header: "Resource", cell: (r) => r.ResourceId },
          { id: "type", header: "Compliance type", cell: (r) => r.ComplianceType },
          { id: "status", header: "Status", cell: (r) => r.Status },
          { id: "severity", header: "Highest severity", cell: (r) => r.OverallSeverity ?? "-" },
        ]}
      />
    </SpaceBetween>
  );
}

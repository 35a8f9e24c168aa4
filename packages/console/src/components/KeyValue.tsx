import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import SpaceBetween from "@cloudscape-design/components/space-between";
import type { ReactNode } from "react";

/** Label / value pairs in columns, as AWS console detail pages show them. */
export function KeyValue({ pairs, columns = 3 }: { pairs: [string, ReactNode][]; columns?: number }) {
  return (
    <ColumnLayout columns={columns} variant="text-grid">
      {pairs.map(([k, v]) => (
        <SpaceBetween size="xxxs" key={k}>
          <Box variant="awsui-key-label">{k}</Box>
          <div>{v === undefined || v === null || v === "" ? "-" : v}</div>
        </SpaceBetween>
      ))}
    </ColumnLayout>
  );
}

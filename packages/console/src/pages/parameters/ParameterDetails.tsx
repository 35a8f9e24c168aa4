import {
  DeleteParameterCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  LabelParameterVersionCommand,
  type ParameterHistory,
} from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { useApi } from "../../api/context";
import { type PageProps, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";
import { parameterHref } from "./links";

/**
 * One parameter: details, value (a SecureString's only after "Show", which is a GetParameter with
 * WithDecryption: authorized for kms:Decrypt and written to the audit trail), history with labels,
 * tiers and policies.
 */
export function ParameterDetails({ query }: PageProps) {
  const api = useApi();
  const name = query.get("name") ?? "";
  const [revealed, setRevealed] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [label, setLabel] = useState("");
  const [labelVersion, setLabelVersion] = useState("");
  const meta = useLoad(
    async (a) => {
      const r = await a.ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: [name] }] }));
      const m = r.Parameters?.[0];
      if (!m) throw { name: "ParameterNotFound", message: `There is no parameter ${name} in ${a.region}.` };
      return m;
    },
    [name],
  );
  const plain = useLoad(
    async (a) => {
      const r = await a.ssm.send(new GetParameterCommand({ Name: name }));
      return r.Parameter;
    },
    [name],
  );
  const history = useLoad(
    async (a) => {
      const r = await a.ssm.send(new GetParameterHistoryCommand({ Name: name, MaxResults: 50 }));
      return (r.Parameters ?? []).slice().reverse();
    },
    [name],
  );
  const m = meta.data;
  const secure = m?.Type === "SecureString";

  const reveal = async () => {
    setError(undefined);
    try {
      const r = await api.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      setRevealed(r.Parameter?.Value ?? "");
    } catch (e) {
      setError(e);
    }
  };
  const remove = async () => {
    setError(undefined);
    try {
      await api.ssm.send(new DeleteParameterCommand({ Name: name }));
      navigate("/parameters");
    } catch (e) {
      setError(e);
    }
  };
  const addLabel = async () => {
    setError(undefined);
    try {
      await api.ssm.send(new LabelParameterVersionCommand({ Name: name, Labels: [label], ParameterVersion: labelVersion ? Number(labelVersion) : undefined }));
      setLabel("");
      history.reload();
    } catch (e) {
      setError(e);
    }
  };

  const value = secure ? (
    revealed !== undefined ? (
      <SpaceBetween direction="horizontal" size="xs">
        <code data-testid="parameter-value">{revealed}</code>
        <Button variant="inline-link" onClick={() => setRevealed(undefined)}>
          Hide
        </Button>
      </SpaceBetween>
    ) : (
      <SpaceBetween direction="horizontal" size="xs">
        <span data-testid="parameter-value">••••••••</span>
        <Button variant="inline-link" onClick={reveal} ariaLabel="Show the decrypted value">
          Show
        </Button>
      </SpaceBetween>
    )
  ) : (
    <code data-testid="parameter-value">{plain.data?.Value}</code>
  );

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={m?.Description}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button onClick={remove}>Delete</Button>
              <Button variant="primary" onClick={() => navigate(parameterHref(name, "edit"))}>
                Edit
              </Button>
            </SpaceBetween>
          }
        >
          {name}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ErrorAlert error={meta.error} />
        <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
        <Container header={<Header variant="h2">Overview</Header>}>
          <KeyValue
            pairs={[
              ["Value", value],
              ["Type", m?.Type],
              ["Tier", m?.Tier],
              ["Version", m?.Version],
              ["Data type", m?.DataType],
              ["KMS key", m?.KeyId],
              ["Last modified", when(m?.LastModifiedDate)],
              ["Last modified by", m?.LastModifiedUser],
              ["Policies", m?.Policies?.length ? m.Policies.map((p) => p.PolicyText).join(", ") : "-"],
            ]}
          />
        </Container>
        <Table<ParameterHistory>
          header={
            <Header variant="h2" counter={`(${history.data?.length ?? 0})`}>
              History
            </Header>
          }
          items={history.data ?? []}
          loading={history.loading && !history.data}
          loadingText="Loading history"
          empty={<Box textAlign="center">{history.error ? <ErrorAlert error={history.error} /> : "No history."}</Box>}
          columnDefinitions={[
            { id: "version", header: "Version", cell: (h) => h.Version },
            { id: "labels", header: "Labels", cell: (h) => (h.Labels?.length ? h.Labels.join(", ") : "-") },
            { id: "tier", header: "Tier", cell: (h) => h.Tier },
            { id: "type", header: "Type", cell: (h) => h.Type },
            { id: "value", header: "Value", cell: (h) => (h.Type === "SecureString" ? "(encrypted)" : h.Value) },
            { id: "policies", header: "Policies", cell: (h) => (h.Policies?.length ? h.Policies.map((p) => p.PolicyType).join(", ") : "-") },
            { id: "by", header: "Modified by", cell: (h) => h.LastModifiedUser },
            { id: "at", header: "Modified", cell: (h) => when(h.LastModifiedDate) },
          ]}
        />
        <Container header={<Header variant="h2">Label a version</Header>}>
          <SpaceBetween direction="horizontal" size="s">
            <FormField label="Label">
              <Input value={label} onChange={(e) => setLabel(e.detail.value)} ariaLabel="Label" />
            </FormField>
            <FormField label="Version (default: latest)">
              <Input value={labelVersion} onChange={(e) => setLabelVersion(e.detail.value)} inputMode="numeric" ariaLabel="Version to label" />
            </FormField>
            <FormField label="Add">
              <Button onClick={addLabel} disabled={!label}>
                Add label
              </Button>
            </FormField>
          </SpaceBetween>
        </Container>
      </SpaceBetween>
    </ContentLayout>
  );
}

import {
  DescribeDocumentCommand,
  DescribeInstanceInformationCommand,
  type DocumentParameter,
  ListDocumentsCommand,
  SendCommandCommand,
} from "@aws-sdk/client-ssm";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Multiselect from "@cloudscape-design/components/multiselect";
import RadioGroup from "@cloudscape-design/components/radio-group";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Textarea from "@cloudscape-design/components/textarea";
import { useState } from "react";
import { useApi } from "../../api/context";
import { type PageProps, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { fetchAll } from "../../components/fetch-all";
import { useLoad } from "../../components/load";
import { useSubmit } from "../../components/use-submit";

/** Run a command: a Command document, its parameters, targets (nodes or tags) and rate control. */
export function RunCommand({ query }: PageProps) {
  const api = useApi();
  const [docName, setDocName] = useState(query.get("document") ?? "AWS-RunShellScript");
  const [values, setValues] = useState<Record<string, string>>({});
  const [mode, setMode] = useState<"nodes" | "tags">(query.get("target") ? "nodes" : "tags");
  const [nodeIds, setNodeIds] = useState<string[]>(query.get("target") ? [query.get("target") as string] : []);
  const [tagKey, setTagKey] = useState("");
  const [tagValue, setTagValue] = useState("");
  const [maxConcurrency, setMaxConcurrency] = useState("50");
  const [maxErrors, setMaxErrors] = useState("0");
  const [timeout, setTimeoutSeconds] = useState("600");
  const [comment, setComment] = useState("");
  const { busy, error, submitting } = useSubmit();

  const documents = useLoad(async (a) => {
    const r = await fetchAll(async (NextToken) => {
      const p = await a.ssm.send(new ListDocumentsCommand({ Filters: [{ Key: "DocumentType", Values: ["Command"] }], NextToken, MaxResults: 50 }));
      return { items: p.DocumentIdentifiers, next: p.NextToken };
    }, 500);
    return r.items;
  }, []);
  const doc = useLoad((a) => a.ssm.send(new DescribeDocumentCommand({ Name: docName })), [docName]);
  const nodes = useLoad(async (a) => {
    const r = await fetchAll(async (NextToken) => {
      const p = await a.ssm.send(new DescribeInstanceInformationCommand({ NextToken, MaxResults: 50 }));
      return { items: p.InstanceInformationList, next: p.NextToken };
    });
    return r.items;
  }, []);
  const parameters: DocumentParameter[] = doc.data?.Document?.Parameters ?? [];

  const run = () =>
    submitting(async () => {
      const params: Record<string, string[]> = {};
      for (const p of parameters) {
        const raw = values[p.Name ?? ""];
        if (raw === undefined || raw === "") continue;
        params[p.Name ?? ""] = p.Type === "StringList" ? raw.split("\n").filter((l) => l !== "") : [raw];
      }
      const r = await api.ssm.send(
        new SendCommandCommand({
          DocumentName: docName,
          Parameters: params,
          ...(mode === "nodes" ? { InstanceIds: nodeIds } : { Targets: [{ Key: `tag:${tagKey}`, Values: [tagValue] }] }),
          MaxConcurrency: maxConcurrency || undefined,
          MaxErrors: maxErrors || undefined,
          TimeoutSeconds: timeout ? Number(timeout) : undefined,
          Comment: comment || undefined,
        }),
      );
      navigate(`/run-command/${r.Command?.CommandId}`);
    });

  const docOptions = (documents.data ?? []).map((d) => ({ value: d.Name ?? "", label: d.Name, description: d.Owner === "Amazon" ? "Amazon" : d.Owner }));
  const nodeOptions = (nodes.data ?? []).map((n) => ({
    value: n.InstanceId ?? "",
    label: n.InstanceId,
    description: [n.ComputerName, n.PingStatus].join(" "),
  }));

  return (
    <Form
      header={
        <Header variant="h1" description="Run a Command document on managed nodes.">
          Run a command
        </Header>
      }
      actions={
        <SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => navigate("/run-command")}>
            Cancel
          </Button>
          <Button variant="primary" loading={busy} onClick={run} disabled={mode === "nodes" ? nodeIds.length === 0 : !tagKey}>
            Run
          </Button>
        </SpaceBetween>
      }
      errorText={error ? <ErrorAlert error={error} /> : undefined}
    >
      <SpaceBetween size="l">
        <Container header={<Header variant="h2">Command document</Header>}>
          <ErrorAlert error={documents.error} />
          <FormField label="Document" description={doc.data?.Document?.Description}>
            <Select
              selectedOption={{ value: docName, label: docName }}
              options={docOptions}
              filteringType="auto"
              onChange={(e) => {
                setDocName(e.detail.selectedOption.value ?? "");
                setValues({});
              }}
              statusType={documents.loading ? "loading" : "finished"}
              ariaLabel="Document"
            />
          </FormField>
        </Container>
        <Container header={<Header variant="h2">Command parameters</Header>}>
          <ErrorAlert error={doc.error} />
          <SpaceBetween size="m">
            {parameters.map((p) => {
              const name = p.Name ?? "";
              const value = values[name] ?? "";
              const set = (v: string) => setValues((s) => ({ ...s, [name]: v }));
              return (
                <FormField key={name} label={name} description={p.Description} constraintText={p.DefaultValue ? `Default: ${p.DefaultValue}` : undefined}>
                  {p.Type === "StringList" || name === "commands" ? (
                    <Textarea value={value} onChange={(e) => set(e.detail.value)} rows={4} ariaLabel={name} placeholder="One item per line" />
                  ) : (
                    <Input value={value} onChange={(e) => set(e.detail.value)} ariaLabel={name} />
                  )}
                </FormField>
              );
            })}
            {parameters.length === 0 && !doc.loading ? "This document has no parameters." : null}
          </SpaceBetween>
        </Container>
        <Container header={<Header variant="h2">Targets</Header>}>
          <SpaceBetween size="m">
            <RadioGroup
              value={mode}
              onChange={(e) => setMode(e.detail.value as "nodes" | "tags")}
              ariaLabel="How to choose targets"
              items={[
                { value: "tags", label: "Specify node tags" },
                { value: "nodes", label: "Choose nodes manually" },
              ]}
            />
            {mode === "tags" ? (
              <ColumnLayout columns={2}>
                <FormField label="Tag key">
                  <Input value={tagKey} onChange={(e) => setTagKey(e.detail.value)} ariaLabel="Tag key" />
                </FormField>
                <FormField label="Tag value">
                  <Input value={tagValue} onChange={(e) => setTagValue(e.detail.value)} ariaLabel="Tag value" />
                </FormField>
              </ColumnLayout>
            ) : (
              <FormField label="Nodes">
                <Multiselect
                  selectedOptions={nodeIds.map((v) => ({ value: v, label: v }))}
                  options={nodeOptions}
                  onChange={(e) => setNodeIds(e.detail.selectedOptions.map((o) => o.value ?? ""))}
                  filteringType="auto"
                  placeholder="Choose nodes"
                  ariaLabel="Nodes"
                  statusType={nodes.loading ? "loading" : "finished"}
                />
              </FormField>
            )}
          </SpaceBetween>
        </Container>
        <Container header={<Header variant="h2">Rate control and timeout</Header>}>
          <ColumnLayout columns={2}>
            <FormField label="Concurrency" description="Nodes at a time: a number or a percentage.">
              <Input value={maxConcurrency} onChange={(e) => setMaxConcurrency(e.detail.value)} ariaLabel="Concurrency" />
            </FormField>
            <FormField label="Error threshold" description="Stop after this many errors: a number or a percentage.">
              <Input value={maxErrors} onChange={(e) => setMaxErrors(e.detail.value)} ariaLabel="Error threshold" />
            </FormField>
            <FormField label="Timeout (seconds)">
              <Input value={timeout} onChange={(e) => setTimeoutSeconds(e.detail.value)} inputMode="numeric" ariaLabel="Timeout (seconds)" />
            </FormField>
            <FormField label="Comment">
              <Input value={comment} onChange={(e) => setComment(e.detail.value)} ariaLabel="Comment" />
            </FormField>
          </ColumnLayout>
        </Container>
      </SpaceBetween>
    </Form>
  );
}

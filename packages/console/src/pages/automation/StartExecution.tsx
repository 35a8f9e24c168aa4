import { StartAutomationExecutionCommand } from "@aws-sdk/client-ssm";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Textarea from "@cloudscape-design/components/textarea";
import { useState } from "react";
import { useApi } from "../../api/context";
import { navigate, type PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useSubmit } from "../../components/use-submit";

/** Starts a runbook: its name and its parameters as JSON ({"Name": ["value"]}). */
export function StartExecution({ query }: PageProps) {
  const api = useApi();
  const [name, setName] = useState(query.get("document") ?? "");
  const [parameters, setParameters] = useState("{}");
  const { busy, error, submitting } = useSubmit();
  const submit = () =>
    submitting(async () => {
      let params: Record<string, string[]>;
      try {
        params = JSON.parse(parameters || "{}");
      } catch (e) {
        throw new Error(`The parameters are not valid JSON: ${(e as Error).message}`);
      }
      const r = await api.ssm.send(new StartAutomationExecutionCommand({ DocumentName: name, Parameters: params }));
      navigate(`/automation/${r.AutomationExecutionId}`);
    });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Form
        header={<Header variant="h1">Execute automation</Header>}
        errorText={error ? <ErrorAlert error={error} /> : undefined}
        actions={
          <Button variant="primary" loading={busy} disabled={!name}>
            Execute
          </Button>
        }
      >
        <Container>
          <SpaceBetween size="m">
            <FormField label="Runbook" description="An Automation document's name (yours or AWS-…).">
              <Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel="Runbook" />
            </FormField>
            <FormField label="Parameters" description='JSON: {"Name": ["value"]}'>
              <Textarea value={parameters} onChange={(e) => setParameters(e.detail.value)} rows={6} ariaLabel="Parameters" />
            </FormField>
          </SpaceBetween>
        </Container>
      </Form>
    </form>
  );
}

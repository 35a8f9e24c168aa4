import { CreateDocumentCommand, type DocumentFormat, type DocumentType } from "@aws-sdk/client-ssm";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useState } from "react";
import { useApi } from "../../api/context";
import { navigate } from "../../app/routes";
import { CodeEditor, lineErrorsOf } from "../../components/CodeEditor";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useSubmit } from "../../components/use-submit";

const EXAMPLE = `schemaVersion: "2.2"
description: Say hello
parameters:
  name:
    type: String
    default: world
mainSteps:
  - action: aws:runShellScript
    name: hello
    inputs:
      runCommand:
        - echo hello {{ name }}
`;

const TYPES: DocumentType[] = ["Command", "Session", "Automation", "Package", "ChangeCalendar", "Policy", "ApplicationConfigurationSchema"];

/** Create a document; the server validates it, and its error (with the line, where it names one) is shown. */
export function DocumentForm() {
  const api = useApi();
  const [name, setName] = useState("");
  const [type, setType] = useState<DocumentType>("Command");
  const [format, setFormat] = useState<DocumentFormat>("YAML");
  const [content, setContent] = useState(EXAMPLE);
  const [versionName, setVersionName] = useState("");
  const { busy, error, submitting } = useSubmit();
  const create = () =>
    submitting(async () => {
      await api.ssm.send(
        new CreateDocumentCommand({ Name: name, Content: content, DocumentType: type, DocumentFormat: format, VersionName: versionName || undefined }),
      );
      navigate(`/documents/${encodeURIComponent(name)}`);
    });
  return (
    <Form
      header={<Header variant="h1">Create document</Header>}
      actions={
        <SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => navigate("/documents")}>
            Cancel
          </Button>
          <Button variant="primary" onClick={create} loading={busy} disabled={!name || !content}>
            Create document
          </Button>
        </SpaceBetween>
      }
      errorText={error ? <ErrorAlert error={error} /> : undefined}
    >
      <Container>
        <SpaceBetween size="m">
          <FormField label="Name">
            <Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel="Name" />
          </FormField>
          <FormField label="Version name - optional">
            <Input value={versionName} onChange={(e) => setVersionName(e.detail.value)} ariaLabel="Version name" />
          </FormField>
          <FormField label="Document type">
            <Select
              selectedOption={{ value: type, label: type }}
              options={TYPES.map((t) => ({ value: t, label: t }))}
              onChange={(e) => setType(e.detail.selectedOption.value as DocumentType)}
              ariaLabel="Document type"
            />
          </FormField>
          <FormField label="Format">
            <Select
              selectedOption={{ value: format, label: format }}
              options={["YAML", "JSON"].map((t) => ({ value: t, label: t }))}
              onChange={(e) => setFormat(e.detail.selectedOption.value as DocumentFormat)}
              ariaLabel="Format"
            />
          </FormField>
          <FormField label="Content" stretch>
            <CodeEditor value={content} onChange={setContent} rows={20} ariaLabel="Content" errors={lineErrorsOf(error)} />
          </FormField>
        </SpaceBetween>
      </Container>
    </Form>
  );
}

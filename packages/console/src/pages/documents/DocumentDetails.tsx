import {
  DeleteDocumentCommand,
  DescribeDocumentCommand,
  DescribeDocumentPermissionCommand,
  type DocumentFormat,
  GetDocumentCommand,
  ListDocumentVersionsCommand,
  ModifyDocumentPermissionCommand,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
} from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SegmentedControl from "@cloudscape-design/components/segmented-control";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Tabs from "@cloudscape-design/components/tabs";
import { useState } from "react";
import { useApi } from "../../api/context";
import { type PageProps, navigate } from "../../app/routes";
import { CodeEditor, lineErrorsOf } from "../../components/CodeEditor";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";

/** One document: details, content as YAML or JSON (edit: a new version), versions and the default, sharing. */
export function DocumentDetails({ params }: PageProps) {
  const api = useApi();
  const name = params.name;
  const [format, setFormat] = useState<DocumentFormat>("YAML");
  const [version, setVersion] = useState<string>("");
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<unknown>();
  const [account, setAccount] = useState("");
  const desc = useLoad((a) => a.ssm.send(new DescribeDocumentCommand({ Name: name })), [name]);
  const content = useLoad(
    (a) => a.ssm.send(new GetDocumentCommand({ Name: name, DocumentFormat: format, DocumentVersion: version || undefined })),
    [name, format, version],
  );
  const versions = useLoad((a) => a.ssm.send(new ListDocumentVersionsCommand({ Name: name, MaxResults: 50 })), [name]);
  // Amazon's documents cannot be edited or shared; until the document is described, neither can this one.
  const owned = desc.data?.Document !== undefined && desc.data.Document.Owner !== "Amazon";
  const sharing = useLoad(
    async (a) => (owned ? a.ssm.send(new DescribeDocumentPermissionCommand({ Name: name, PermissionType: "Share" })) : undefined),
    [name, owned],
  );
  const d = desc.data?.Document;

  const act = async (fn: () => Promise<unknown>, after: () => void) => {
    setError(undefined);
    try {
      await fn();
      after();
    } catch (e) {
      setError(e);
    }
  };
  const save = () =>
    act(
      () => api.ssm.send(new UpdateDocumentCommand({ Name: name, Content: draft, DocumentFormat: format, DocumentVersion: "$LATEST" })),
      () => {
        setEditing(false);
        setVersion("");
        desc.reload();
        versions.reload();
        content.reload();
      },
    );
  const makeDefault = (v: string) =>
    act(
      () => api.ssm.send(new UpdateDocumentDefaultVersionCommand({ Name: name, DocumentVersion: v })),
      () => {
        desc.reload();
        versions.reload();
      },
    );
  const share = (add: boolean, id: string) =>
    act(
      () =>
        api.ssm.send(
          new ModifyDocumentPermissionCommand({ Name: name, PermissionType: "Share", ...(add ? { AccountIdsToAdd: [id] } : { AccountIdsToRemove: [id] }) }),
        ),
      () => {
        setAccount("");
        sharing.reload();
      },
    );

  const contentTab = (
    <SpaceBetween size="s">
      <SpaceBetween direction="horizontal" size="s">
        <SegmentedControl
          selectedId={format}
          onChange={(e) => setFormat(e.detail.selectedId as DocumentFormat)}
          label="Content format"
          options={[
            { id: "YAML", text: "YAML" },
            { id: "JSON", text: "JSON" },
          ]}
        />
        <Select
          selectedOption={{ value: version, label: version ? `Version ${version}` : "Default version" }}
          options={[
            { value: "", label: "Default version" },
            ...(versions.data?.DocumentVersions ?? []).map((v) => ({ value: v.DocumentVersion ?? "", label: `Version ${v.DocumentVersion}` })),
          ]}
          onChange={(e) => setVersion(e.detail.selectedOption.value ?? "")}
          ariaLabel="Version to show"
        />
        {owned && !editing ? (
          <Button
            onClick={() => {
              setDraft(content.data?.Content ?? "");
              setEditing(true);
            }}
          >
            Edit (new version)
          </Button>
        ) : null}
      </SpaceBetween>
      <ErrorAlert error={content.error} />
      {editing ? (
        <SpaceBetween size="s">
          <FormField label={`Content (${format})`} stretch>
            <CodeEditor value={draft} onChange={setDraft} rows={24} ariaLabel="Document content" errors={lineErrorsOf(error)} />
          </FormField>
          <SpaceBetween direction="horizontal" size="xs">
            <Button variant="primary" onClick={save}>
              Save as new version
            </Button>
            <Button variant="link" onClick={() => setEditing(false)}>
              Cancel
            </Button>
          </SpaceBetween>
        </SpaceBetween>
      ) : (
        <pre className="openssm-output" data-testid="document-content">
          {content.data?.Content}
        </pre>
      )}
    </SpaceBetween>
  );

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={d?.Description}
          actions={
            owned ? (
              <Button
                onClick={() =>
                  act(
                    () => api.ssm.send(new DeleteDocumentCommand({ Name: name })),
                    () => navigate("/documents"),
                  )
                }
              >
                Delete
              </Button>
            ) : undefined
          }
        >
          {name}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ErrorAlert error={desc.error} />
        <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
        <Container header={<Header variant="h2">Details</Header>}>
          <KeyValue
            pairs={[
              ["Type", d?.DocumentType],
              ["Owner", d?.Owner],
              ["Status", d?.Status],
              ["Default version", d?.DefaultVersion],
              ["Latest version", d?.LatestVersion],
              ["Schema", d?.SchemaVersion],
              ["Platforms", (d?.PlatformTypes ?? []).join(", ")],
              ["Created", when(d?.CreatedDate)],
              ["Parameters", (d?.Parameters ?? []).map((p) => p.Name).join(", ")],
            ]}
          />
        </Container>
        <Tabs
          tabs={[
            { id: "content", label: "Content", content: contentTab },
            {
              id: "versions",
              label: "Versions",
              content: (
                <Table
                  items={versions.data?.DocumentVersions ?? []}
                  loading={versions.loading && !versions.data}
                  loadingText="Loading versions"
                  empty={<Box textAlign="center">{versions.error ? <ErrorAlert error={versions.error} /> : "No versions."}</Box>}
                  columnDefinitions={[
                    { id: "v", header: "Version", cell: (v) => v.DocumentVersion },
                    { id: "name", header: "Version name", cell: (v) => v.VersionName ?? "-" },
                    { id: "default", header: "Default", cell: (v) => (v.IsDefaultVersion ? "Yes" : "No") },
                    { id: "status", header: "Status", cell: (v) => v.Status },
                    { id: "created", header: "Created", cell: (v) => when(v.CreatedDate) },
                    {
                      id: "act",
                      header: "Actions",
                      cell: (v) =>
                        owned && !v.IsDefaultVersion ? (
                          <Button variant="inline-link" onClick={() => makeDefault(v.DocumentVersion ?? "")}>
                            Set as default
                          </Button>
                        ) : (
                          "-"
                        ),
                    },
                  ]}
                />
              ),
            },
            {
              id: "sharing",
              label: "Permissions",
              disabled: !owned,
              content: (
                <SpaceBetween size="m">
                  <ErrorAlert error={sharing.error} />
                  <Table
                    items={(sharing.data?.AccountIds ?? []).map((id) => ({ id }))}
                    empty={<Box textAlign="center">Not shared.</Box>}
                    columnDefinitions={[
                      { id: "account", header: "Account", cell: (x) => x.id },
                      {
                        id: "remove",
                        header: "Actions",
                        cell: (x) => (
                          <Button variant="inline-link" onClick={() => share(false, x.id)}>
                            Stop sharing
                          </Button>
                        ),
                      },
                    ]}
                  />
                  <SpaceBetween direction="horizontal" size="s">
                    <FormField label="Account ID, or All for public">
                      <Input value={account} onChange={(e) => setAccount(e.detail.value)} ariaLabel="Account ID to share with" />
                    </FormField>
                    <FormField label="Share">
                      <Button onClick={() => share(true, account)} disabled={!account}>
                        Share
                      </Button>
                    </FormField>
                  </SpaceBetween>
                </SpaceBetween>
              ),
            },
          ]}
        />
      </SpaceBetween>
    </ContentLayout>
  );
}

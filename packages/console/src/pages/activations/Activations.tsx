import { type Activation, CreateActivationCommand, DeleteActivationCommand, DescribeActivationsCommand } from "@aws-sdk/client-ssm";
import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { useApi } from "../../api/context";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useLoad, when } from "../../components/load";

/** Hybrid activations: the codes nodes register with (Create shows the code once), and deleting them. */
export function Activations() {
  const api = useApi();
  const [role, setRole] = useState("SSMServiceRole");
  const [limit, setLimit] = useState("10");
  const [description, setDescription] = useState("");
  const [created, setCreated] = useState<{ id: string; code: string }>();
  const [selected, setSelected] = useState<Activation[]>([]);
  const [error, setError] = useState<unknown>();
  const list = useLoad((a) => a.ssm.send(new DescribeActivationsCommand({ MaxResults: 50 })), []);
  const items = list.data?.ActivationList ?? [];
  const run = async (fn: () => Promise<void>) => {
    setError(undefined);
    try {
      await fn();
      list.reload();
    } catch (e) {
      setError(e);
    }
  };
  const create = () =>
    run(async () => {
      const r = await api.ssm.send(new CreateActivationCommand({ IamRole: role, RegistrationLimit: Number(limit), Description: description || undefined }));
      setCreated({ id: r.ActivationId ?? "", code: r.ActivationCode ?? "" });
    });
  const remove = () =>
    run(async () => {
      for (const a of selected) await api.ssm.send(new DeleteActivationCommand({ ActivationId: a.ActivationId }));
      setSelected([]);
    });
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="A node registers with an activation's code and id (openssm-agent register, or amazon-ssm-agent -register).">
        Hybrid activations
      </Header>
      <ErrorAlert error={list.error} />
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      {created ? (
        <Alert type="success" header="Activation created" dismissible i18nStrings={{ dismissAriaLabel: "Dismiss" }} onDismiss={() => setCreated(undefined)}>
          Activation ID <code>{created.id}</code>, activation code <code>{created.code}</code>. The code is shown only now.
        </Alert>
      ) : null}
      <Container header={<Header variant="h2">Create activation</Header>}>
        <SpaceBetween size="m">
          <ColumnLayout columns={3}>
            <FormField label="IAM role" description="The role the nodes act as.">
              <Input value={role} onChange={(e) => setRole(e.detail.value)} ariaLabel="IAM role" />
            </FormField>
            <FormField label="Registration limit">
              <Input value={limit} onChange={(e) => setLimit(e.detail.value)} inputMode="numeric" ariaLabel="Registration limit" />
            </FormField>
            <FormField label="Description">
              <Input value={description} onChange={(e) => setDescription(e.detail.value)} ariaLabel="Description" />
            </FormField>
          </ColumnLayout>
          <Button variant="primary" onClick={create} disabled={!role}>
            Create activation
          </Button>
        </SpaceBetween>
      </Container>
      <Table
        items={items}
        trackBy="ActivationId"
        selectionType="multi"
        selectedItems={selected}
        onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
        ariaLabels={{
          selectionGroupLabel: "Activations",
          itemSelectionLabel: (_s, a) => a.ActivationId ?? "",
          allItemsSelectionLabel: () => "All activations",
        }}
        loading={list.loading && !list.data}
        loadingText="Loading activations"
        header={
          <Header
            counter={`(${items.length})`}
            actions={
              <Button disabled={selected.length === 0} onClick={remove}>
                Delete
              </Button>
            }
          >
            Activations
          </Header>
        }
        empty={<Box textAlign="center">No activations.</Box>}
        columnDefinitions={[
          { id: "id", header: "Activation ID", cell: (a) => a.ActivationId },
          { id: "desc", header: "Description", cell: (a) => a.Description ?? "-" },
          { id: "role", header: "IAM role", cell: (a) => a.IamRole },
          { id: "count", header: "Registrations", cell: (a) => `${a.RegistrationsCount ?? 0} / ${a.RegistrationLimit ?? "-"}` },
          { id: "expired", header: "Expired", cell: (a) => (a.Expired ? "Yes" : "No") },
          { id: "expires", header: "Expires", cell: (a) => when(a.ExpirationDate) },
          { id: "created", header: "Created", cell: (a) => when(a.CreatedDate) },
        ]}
      />
    </SpaceBetween>
  );
}

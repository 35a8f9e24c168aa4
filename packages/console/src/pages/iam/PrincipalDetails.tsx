import Alert from "@cloudscape-design/components/alert";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import Textarea from "@cloudscape-design/components/textarea";
import { useState } from "react";
import { useApi } from "../../api/context";
import { navigate, type PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";
import { type AccessKeyMetadata, admin, type IamRole, type IamUser } from "./admin-api";

type Kind = "user" | "role";

/** Runs an action, showing its failure; returns whether it succeeded. */
function useAction() {
  const [error, setError] = useState<unknown>();
  const run = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  return { error, run, clear: () => setError(undefined) };
}

function InlinePolicies({ kind, name }: { kind: Kind; name: string }) {
  const api = useApi();
  const T = kind === "user" ? "User" : "Role";
  const action = useAction();
  const [policyName, setPolicyName] = useState("");
  const [doc, setDoc] = useState("");
  const policies = useLoad(
    async (a) => {
      const names = (await admin<{ PolicyNames: string[] }>(a, `List${T}Policies`, { [`${T}Name`]: name })).PolicyNames;
      return Promise.all(
        names.map(async (n) => ({
          name: n,
          document: (await admin<{ PolicyDocument: string }>(a, `Get${T}Policy`, { [`${T}Name`]: name, PolicyName: n })).PolicyDocument,
        })),
      );
    },
    [kind, name],
  );
  const save = () =>
    action.run(async () => {
      await admin(api, `Put${T}Policy`, { [`${T}Name`]: name, PolicyName: policyName, PolicyDocument: doc });
      setPolicyName("");
      setDoc("");
      policies.reload();
    });
  return (
    <Container
      header={
        <Header variant="h2" counter={`(${policies.data?.length ?? 0})`} description="Inline policies decide what this identity may do.">
          Permissions
        </Header>
      }
    >
      <SpaceBetween size="m">
        <ErrorAlert error={policies.error} />
        <ErrorAlert error={action.error} onDismiss={action.clear} />
        <Table
          variant="embedded"
          items={policies.data ?? []}
          trackBy="name"
          loading={policies.loading && !policies.data}
          loadingText="Loading policies"
          empty={<Box textAlign="center">No inline policies: this identity may do nothing.</Box>}
          columnDefinitions={[
            { id: "name", header: "Policy name", cell: (p) => p.name },
            { id: "doc", header: "Document", cell: (p) => <pre>{JSON.stringify(JSON.parse(p.document), null, 2)}</pre> },
            {
              id: "actions",
              header: "Actions",
              cell: (p) => (
                <SpaceBetween direction="horizontal" size="xs">
                  <Button
                    ariaLabel={`Edit policy ${p.name}`}
                    onClick={() => {
                      setPolicyName(p.name);
                      setDoc(JSON.stringify(JSON.parse(p.document), null, 2));
                    }}
                  >
                    Edit
                  </Button>
                  <Button
                    ariaLabel={`Delete policy ${p.name}`}
                    onClick={() =>
                      action.run(async () => {
                        await admin(api, `Delete${T}Policy`, { [`${T}Name`]: name, PolicyName: p.name });
                        policies.reload();
                      })
                    }
                  >
                    Delete
                  </Button>
                </SpaceBetween>
              ),
            },
          ]}
        />
        <FormField label="Policy name" description="Add a policy, or replace the one of that name.">
          <Input value={policyName} onChange={(e) => setPolicyName(e.detail.value)} ariaLabel="Policy name" />
        </FormField>
        <FormField label="Policy document">
          <Textarea value={doc} onChange={(e) => setDoc(e.detail.value)} rows={8} ariaLabel="Policy document" />
        </FormField>
        <Button onClick={save} disabled={!policyName || !doc}>
          Save policy
        </Button>
      </SpaceBetween>
    </Container>
  );
}

function AccessKeys({ name }: { name: string }) {
  const api = useApi();
  const action = useAction();
  const [created, setCreated] = useState<{ AccessKeyId: string; SecretAccessKey: string }>();
  const keys = useLoad((a) => admin<{ AccessKeyMetadata: AccessKeyMetadata[] }>(a, "ListAccessKeys", { UserName: name }), [name]);
  const create = () =>
    action.run(async () => {
      const r = await admin<{ AccessKey: { AccessKeyId: string; SecretAccessKey: string } }>(api, "CreateAccessKey", { UserName: name });
      setCreated(r.AccessKey);
      keys.reload();
    });
  const items = keys.data?.AccessKeyMetadata ?? [];
  return (
    <Container
      header={
        <Header variant="h2" counter={`(${items.length})`} actions={<Button onClick={create}>Create access key</Button>}>
          Access keys
        </Header>
      }
    >
      <SpaceBetween size="m">
        <ErrorAlert error={keys.error} />
        <ErrorAlert error={action.error} onDismiss={action.clear} />
        {created ? (
          <Alert type="success" header="Access key created" dismissible i18nStrings={{ dismissAriaLabel: "Dismiss" }} onDismiss={() => setCreated(undefined)}>
            This is the only time the secret is shown: copy it now. Access key ID <code>{created.AccessKeyId}</code>, secret access key{" "}
            <code data-testid="new-secret">{created.SecretAccessKey}</code>
          </Alert>
        ) : null}
        <Table
          variant="embedded"
          items={items}
          trackBy="AccessKeyId"
          loading={keys.loading && !keys.data}
          loadingText="Loading access keys"
          empty={<Box textAlign="center">No access keys.</Box>}
          columnDefinitions={[
            { id: "id", header: "Access key ID", cell: (k) => k.AccessKeyId },
            { id: "status", header: "Status", cell: (k) => k.Status },
            { id: "created", header: "Created", cell: (k) => when(k.CreateDate) },
            {
              id: "actions",
              header: "Actions",
              cell: (k) => (
                <SpaceBetween direction="horizontal" size="xs">
                  <Button
                    ariaLabel={`${k.Status === "Active" ? "Deactivate" : "Activate"} ${k.AccessKeyId}`}
                    onClick={() =>
                      action.run(async () => {
                        await admin(api, "UpdateAccessKey", {
                          UserName: name,
                          AccessKeyId: k.AccessKeyId,
                          Status: k.Status === "Active" ? "Inactive" : "Active",
                        });
                        keys.reload();
                      })
                    }
                  >
                    {k.Status === "Active" ? "Deactivate" : "Activate"}
                  </Button>
                  <Button
                    ariaLabel={`Delete ${k.AccessKeyId}`}
                    onClick={() =>
                      action.run(async () => {
                        await admin(api, "DeleteAccessKey", { UserName: name, AccessKeyId: k.AccessKeyId });
                        keys.reload();
                      })
                    }
                  >
                    Delete
                  </Button>
                </SpaceBetween>
              ),
            },
          ]}
        />
      </SpaceBetween>
    </Container>
  );
}

/** A user or role: its details and tags, inline policies, and (users) access keys. */
function PrincipalDetails({ kind, params }: PageProps & { kind: Kind }) {
  const api = useApi();
  const T = kind === "user" ? "User" : "Role";
  const name = params.name;
  const action = useAction();
  const p = useLoad(async (a) => (await admin<Record<string, IamUser & IamRole>>(a, `Get${T}`, { [`${T}Name`]: name }))[T], [kind, name]);
  const remove = () =>
    action.run(async () => {
      await admin(api, `Delete${T}`, { [`${T}Name`]: name });
      navigate(`/iam/${kind}s`);
    });
  const d = p.data;
  return (
    <SpaceBetween size="l">
      <Header variant="h1" actions={<Button onClick={remove}>Delete {kind}</Button>}>
        {name}
      </Header>
      <ErrorAlert error={p.error} />
      <ErrorAlert error={action.error} onDismiss={action.clear} />
      <Container header={<Header variant="h2">Summary</Header>}>
        <KeyValue
          pairs={[
            ["ARN", d?.Arn],
            [`${T} ID`, kind === "user" ? d?.UserId : d?.RoleId],
            ["Path", d?.Path],
            ["Created", d ? when(d.CreateDate) : undefined],
            ["Tags", d?.Tags?.map((t) => `${t.Key}=${t.Value}`).join(", ")],
            ...(kind === "role" ? ([["Trust policy", d?.AssumeRolePolicyDocument]] as [string, string | undefined][]) : []),
          ]}
        />
      </Container>
      <InlinePolicies kind={kind} name={name} />
      {kind === "user" ? <AccessKeys name={name} /> : null}
    </SpaceBetween>
  );
}

export const UserDetails = (props: PageProps) => <PrincipalDetails kind="user" {...props} />;
export const RoleDetails = (props: PageProps) => <PrincipalDetails kind="role" {...props} />;

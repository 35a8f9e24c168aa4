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
import { navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { admin } from "./admin-api";
import { useSubmit } from "../../components/use-submit";

type Kind = "user" | "role";

const TRUST_EXAMPLE = JSON.stringify(
  { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ssm.amazonaws.com" }, Action: "sts:AssumeRole" }] },
  null,
  2,
);

/** Creates a user or role, optionally with one inline policy (CreateUser/CreateRole, then Put…Policy). */
function CreatePrincipal({ kind }: { kind: Kind }) {
  const api = useApi();
  const T = kind === "user" ? "User" : "Role";
  const [name, setName] = useState("");
  const [path, setPath] = useState("/");
  const [trust, setTrust] = useState(TRUST_EXAMPLE);
  const [policyName, setPolicyName] = useState("");
  const [policy, setPolicy] = useState("");
  const { busy, error, submitting } = useSubmit();
  const submit = () =>
    submitting(async () => {
      await admin(api, `Create${T}`, { [`${T}Name`]: name, Path: path || "/", ...(kind === "role" ? { AssumeRolePolicyDocument: trust } : {}) });
      if (policyName || policy) await admin(api, `Put${T}Policy`, { [`${T}Name`]: name, PolicyName: policyName, PolicyDocument: policy });
      navigate(`/iam/${kind}s/${encodeURIComponent(name)}`);
    });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Form
        header={<Header variant="h1">Create {kind}</Header>}
        errorText={error ? <ErrorAlert error={error} /> : undefined}
        actions={
          <SpaceBetween direction="horizontal" size="xs">
            <Button formAction="none" variant="link" onClick={() => navigate(`/iam/${kind}s`)}>
              Cancel
            </Button>
            <Button variant="primary" loading={busy} disabled={!name}>
              Create {kind}
            </Button>
          </SpaceBetween>
        }
      >
        <SpaceBetween size="l">
          <Container header={<Header variant="h2">{T} details</Header>}>
            <SpaceBetween size="m">
              <FormField label={`${T} name`} description="Up to 64 letters, digits and _+=,.@-; unique in the account.">
                <Input value={name} onChange={(e) => setName(e.detail.value)} ariaLabel={`${T} name`} />
              </FormField>
              <FormField label="Path" description="Groups identities, for example /engineering/.">
                <Input value={path} onChange={(e) => setPath(e.detail.value)} ariaLabel="Path" />
              </FormField>
              {kind === "role" ? (
                <FormField label="Trust policy" description="Who may assume the role (AssumeRolePolicyDocument).">
                  <Textarea value={trust} onChange={(e) => setTrust(e.detail.value)} rows={8} ariaLabel="Trust policy" />
                </FormField>
              ) : null}
            </SpaceBetween>
          </Container>
          <Container
            header={
              <Header variant="h2" description="Optional: one inline policy now; more on the details page.">
                Permissions
              </Header>
            }
          >
            <SpaceBetween size="m">
              <FormField label="Policy name">
                <Input value={policyName} onChange={(e) => setPolicyName(e.detail.value)} ariaLabel="Policy name" />
              </FormField>
              <FormField label="Policy document" description='IAM JSON: {"Version":"2012-10-17","Statement":[...]}'>
                <Textarea value={policy} onChange={(e) => setPolicy(e.detail.value)} rows={10} ariaLabel="Policy document" />
              </FormField>
            </SpaceBetween>
          </Container>
        </SpaceBetween>
      </Form>
    </form>
  );
}

export const CreateUser = () => <CreatePrincipal kind="user" />;
export const CreateRole = () => <CreatePrincipal kind="role" />;

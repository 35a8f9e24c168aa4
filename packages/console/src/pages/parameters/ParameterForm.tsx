import { GetParameterCommand, type ParameterTier, type ParameterType, PutParameterCommand } from "@aws-sdk/client-ssm";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import RadioGroup from "@cloudscape-design/components/radio-group";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Textarea from "@cloudscape-design/components/textarea";
import { useEffect, useState } from "react";
import { useApi } from "../../api/context";
import { type PageProps, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { parameterHref } from "./links";
import { useSubmit } from "../../components/use-submit";

/**
 * Create a parameter, or a new version of one (/parameters/edit?name=...). A SecureString's value is
 * not read into the form: editing one means typing the new value.
 */
export function ParameterForm({ query }: PageProps) {
  const api = useApi();
  const editing = window.location.hash.startsWith("#/parameters/edit");
  const [name, setName] = useState(query.get("name") ?? "");
  const [description, setDescription] = useState("");
  const [tier, setTier] = useState<ParameterTier>("Standard");
  const [type, setType] = useState<ParameterType>("String");
  const [keyId, setKeyId] = useState("alias/aws/ssm");
  const [dataType, setDataType] = useState("text");
  const [value, setValue] = useState("");
  const [policies, setPolicies] = useState("");
  const [allowedPattern, setAllowedPattern] = useState("");
  const { busy, error, setError, submitting } = useSubmit();

  useEffect(() => {
    if (!editing || !query.get("name")) return;
    api.ssm
      .send(new GetParameterCommand({ Name: query.get("name") ?? "" }))
      .then((r) => {
        const p = r.Parameter;
        if (!p) return;
        setType((p.Type as ParameterType) ?? "String");
        setDataType(p.DataType ?? "text");
        if (p.Type !== "SecureString") setValue(p.Value ?? "");
      })
      .catch(setError);
  }, [api, editing, query, setError]);

  const save = () =>
    submitting(async () => {
      await api.ssm.send(
        new PutParameterCommand({
          Name: name,
          Value: value,
          Type: type,
          Description: description || undefined,
          Tier: tier,
          KeyId: type === "SecureString" ? keyId || undefined : undefined,
          DataType: dataType || undefined,
          Policies: policies.trim() || undefined,
          AllowedPattern: allowedPattern || undefined,
          Overwrite: editing,
        }),
      );
      navigate(parameterHref(name));
    });

  return (
    <Form
      header={<Header variant="h1">{editing ? `Edit ${name}` : "Create parameter"}</Header>}
      actions={
        <SpaceBetween direction="horizontal" size="xs">
          <Button variant="link" onClick={() => navigate(editing ? parameterHref(name) : "/parameters")}>
            Cancel
          </Button>
          <Button variant="primary" onClick={save} loading={busy} disabled={!name || !value}>
            {editing ? "Save changes" : "Create parameter"}
          </Button>
        </SpaceBetween>
      }
      errorText={error ? <ErrorAlert error={error} /> : undefined}
    >
      <Container header={<Header variant="h2">Parameter details</Header>}>
        <SpaceBetween size="m">
          <FormField label="Name" description="A path (/app/db/url) or a plain name.">
            <Input value={name} onChange={(e) => setName(e.detail.value)} disabled={editing} ariaLabel="Name" />
          </FormField>
          <FormField label="Description - optional">
            <Input value={description} onChange={(e) => setDescription(e.detail.value)} ariaLabel="Description" />
          </FormField>
          <FormField label="Tier">
            <RadioGroup
              value={tier}
              onChange={(e) => setTier(e.detail.value as ParameterTier)}
              ariaLabel="Tier"
              items={[
                { value: "Standard", label: "Standard", description: "Up to 4 KB, no policies." },
                { value: "Advanced", label: "Advanced", description: "Up to 8 KB, with parameter policies." },
                { value: "Intelligent-Tiering", label: "Intelligent-Tiering", description: "Advanced only when needed." },
              ]}
            />
          </FormField>
          <FormField label="Type">
            <RadioGroup
              value={type}
              onChange={(e) => setType(e.detail.value as ParameterType)}
              ariaLabel="Type"
              items={[
                { value: "String", label: "String" },
                { value: "StringList", label: "StringList", description: "Comma-separated values." },
                { value: "SecureString", label: "SecureString", description: "Encrypted with a KMS key; shown only when asked." },
              ]}
            />
          </FormField>
          {type === "SecureString" ? (
            <FormField label="KMS key" description="alias/aws/ssm (the default), a key id, ARN or alias.">
              <Input value={keyId} onChange={(e) => setKeyId(e.detail.value)} ariaLabel="KMS key" />
            </FormField>
          ) : (
            <FormField label="Data type">
              <Input value={dataType} onChange={(e) => setDataType(e.detail.value)} ariaLabel="Data type" />
            </FormField>
          )}
          <FormField label="Value" description={editing && type === "SecureString" ? "Type the new value: the current one is not shown here." : undefined}>
            <Textarea value={value} onChange={(e) => setValue(e.detail.value)} rows={3} ariaLabel="Value" />
          </FormField>
          <FormField label="Allowed pattern - optional" description="A regular expression the value must match.">
            <Input value={allowedPattern} onChange={(e) => setAllowedPattern(e.detail.value)} ariaLabel="Allowed pattern" />
          </FormField>
          <FormField
            label="Policies - optional"
            description='JSON: [{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"2030-01-01T00:00:00Z"}}] (Advanced tier).'
          >
            <Textarea value={policies} onChange={(e) => setPolicies(e.detail.value)} rows={3} ariaLabel="Policies" />
          </FormField>
        </SpaceBetween>
      </Container>
    </Form>
  );
}

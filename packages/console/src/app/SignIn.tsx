import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Form from "@cloudscape-design/components/form";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { type FormEvent, useEffect, useState } from "react";
import { whoAmI } from "../api/sts";
import type { ConsoleCredentials } from "../api/credentials";
import { ErrorAlert } from "../components/ErrorAlert";

/**
 * Sign-in with an access key. The key is checked with one signed call (STS GetCallerIdentity, which
 * every valid key may make): a key the server does not know or a wrong secret is refused there.
 */
export function SignIn({ onSignedIn }: { onSignedIn(c: ConsoleCredentials): void }) {
  const [accessKeyId, setAccessKeyId] = useState("");
  const [secretAccessKey, setSecret] = useState("");
  const [sessionToken, setToken] = useState("");
  const [region, setRegion] = useState("us-east-1");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = "Sign in - openssm";
    fetch("config.json")
      .then((r) => (r.ok ? r.json() : undefined))
      .then((c: { region?: string } | undefined) => c?.region && setRegion(c.region))
      .catch(() => undefined);
  }, []);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    setBusy(true);
    setError(undefined);
    const creds: ConsoleCredentials = {
      accessKeyId: accessKeyId.trim(),
      secretAccessKey: secretAccessKey.trim(),
      sessionToken: sessionToken.trim() || undefined,
      region: region.trim(),
    };
    try {
      const who = await whoAmI(creds);
      onSignedIn({ ...creds, arn: who.arn });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main>
      <Box padding={{ vertical: "xxxl", horizontal: "l" }}>
        <div className="openssm-signin">
          <form onSubmit={submit}>
            <Form
              header={
                <Header variant="h1" description="Systems Manager for your own fleet. Sign in with an access key.">
                  openssm console
                </Header>
              }
              actions={
                <Button variant="primary" formAction="submit" loading={busy} disabled={!accessKeyId || !secretAccessKey || !region}>
                  Sign in
                </Button>
              }
              errorText={error ? <ErrorAlert error={error} /> : undefined}
            >
              <Container>
                <SpaceBetween size="m">
                  <FormField label="Access key ID" description="The admin's key (openssm prints where it is at start) or an IAM user's.">
                    <Input value={accessKeyId} onChange={(e) => setAccessKeyId(e.detail.value)} autoComplete="username" ariaLabel="Access key ID" />
                  </FormField>
                  <FormField label="Secret access key">
                    <Input
                      type="password"
                      value={secretAccessKey}
                      onChange={(e) => setSecret(e.detail.value)}
                      autoComplete="current-password"
                      ariaLabel="Secret access key"
                    />
                  </FormField>
                  <FormField
                    label={
                      <span>
                        Session token <i>- optional</i>
                      </span>
                    }
                  >
                    <Input value={sessionToken} onChange={(e) => setToken(e.detail.value)} ariaLabel="Session token" />
                  </FormField>
                  <FormField label="Region" description="Every resource belongs to a region; the server's default is preselected.">
                    <Input value={region} onChange={(e) => setRegion(e.detail.value)} ariaLabel="Region" />
                  </FormField>
                  <Box variant="small" color="text-body-secondary">
                    The key stays in this browser tab (session storage) and signs each request; it is never sent as such.
                  </Box>
                </SpaceBetween>
              </Container>
            </Form>
          </form>
        </div>
      </Box>
    </main>
  );
}

import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import FormField from "@cloudscape-design/components/form-field";
import Header from "@cloudscape-design/components/header";
import Input from "@cloudscape-design/components/input";
import Select from "@cloudscape-design/components/select";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import { useState } from "react";
import { useApi } from "../../api/context";
import { ErrorAlert } from "../../components/ErrorAlert";
import { when } from "../../components/load";
import { admin } from "../iam/admin-api";

interface AuditEvent {
  EventId: string;
  EventTime: number;
  PrincipalArn?: string;
  AccessKeyId?: string;
  SourceIp: string;
  Service: string;
  Operation: string;
  Parameters: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

interface Filters {
  principal: string;
  operation: string;
  outcome: "" | "Success" | "Failure";
  since: string;
  until: string;
}

const OUTCOMES = [
  { value: "", label: "Any outcome" },
  { value: "Success", label: "Succeeded" },
  { value: "Failure", label: "Failed or denied" },
];

/** A datetime-local value as epoch seconds; undefined when empty. */
const seconds = (v: string) => (v ? Math.floor(new Date(v).getTime() / 1000) : undefined);

/** The audit trail: every API call, who made it, from where, and what came of it, newest first. */
export function AuditTrail() {
  const api = useApi();
  const [draft, setDraft] = useState<Filters>({ principal: "", operation: "", outcome: "", since: "", until: "" });
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [next, setNext] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [loading, setLoading] = useState(false);
  const [searched, setSearched] = useState(false);
  const load = async (token?: string) => {
    setError(undefined);
    setLoading(true);
    try {
      const r = await admin<{ Events: AuditEvent[]; NextToken?: string }>(api, "LookupAuditEvents", {
        ...(draft.principal ? { Principal: draft.principal } : {}),
        ...(draft.operation ? { Operation: draft.operation } : {}),
        ...(draft.outcome ? { Outcome: draft.outcome } : {}),
        ...(draft.since ? { StartTime: seconds(draft.since) } : {}),
        ...(draft.until ? { EndTime: seconds(draft.until) } : {}),
        MaxResults: 50,
        ...(token ? { NextToken: token } : {}),
      });
      setEvents((old) => (token ? [...old, ...r.Events] : r.Events));
      setNext(r.NextToken);
      setSearched(true);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  const set = (k: keyof Filters) => (e: { detail: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.detail.value }));
  return (
    <SpaceBetween size="l">
      <Header variant="h1" description="Every API call: who, what, when, from where and its outcome. Secret values are never recorded.">
        Audit trail
      </Header>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <Container header={<Header variant="h2">Filters</Header>}>
          <SpaceBetween size="m">
            <ColumnLayout columns={3}>
              <FormField label="Who" description="Part of the caller's ARN (a user name, an account).">
                <Input value={draft.principal} onChange={set("principal")} ariaLabel="Who" />
              </FormField>
              <FormField label="Operation" description="Exact name, for example CreateUser.">
                <Input value={draft.operation} onChange={set("operation")} ariaLabel="Operation" />
              </FormField>
              <FormField label="Outcome">
                <Select
                  selectedOption={OUTCOMES.find((o) => o.value === draft.outcome) ?? OUTCOMES[0]}
                  onChange={(e) => setDraft((d) => ({ ...d, outcome: e.detail.selectedOption.value as Filters["outcome"] }))}
                  options={OUTCOMES}
                  ariaLabel="Outcome"
                />
              </FormField>
              <FormField label="From">
                <input type="datetime-local" aria-label="From" value={draft.since} onChange={(e) => setDraft((d) => ({ ...d, since: e.target.value }))} />
              </FormField>
              <FormField label="Until">
                <input type="datetime-local" aria-label="Until" value={draft.until} onChange={(e) => setDraft((d) => ({ ...d, until: e.target.value }))} />
              </FormField>
            </ColumnLayout>
            <Button variant="primary" loading={loading}>
              Search
            </Button>
          </SpaceBetween>
        </Container>
      </form>
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      <Table
        items={events}
        trackBy="EventId"
        loading={loading && events.length === 0}
        loadingText="Searching the audit trail"
        header={<Header counter={`(${events.length}${next ? "+" : ""})`}>Calls</Header>}
        empty={<Box textAlign="center">{searched ? "No calls match these filters." : "Choose filters and search."}</Box>}
        wrapLines
        columnDefinitions={[
          { id: "time", header: "Time", cell: (e) => when(e.EventTime) },
          { id: "who", header: "Who", cell: (e) => e.PrincipalArn ?? `unauthenticated (${e.AccessKeyId ?? "no key"})` },
          { id: "op", header: "Operation", cell: (e) => `${e.Service}:${e.Operation}` },
          { id: "outcome", header: "Outcome", cell: (e) => (e.ErrorCode ? `${e.ErrorCode}: ${e.ErrorMessage ?? ""}` : "Success") },
          { id: "ip", header: "Source", cell: (e) => e.SourceIp },
          { id: "params", header: "Parameters", cell: (e) => <code>{e.Parameters}</code> },
        ]}
      />
      {next ? (
        <Button onClick={() => load(next)} loading={loading}>
          Load more
        </Button>
      ) : null}
    </SpaceBetween>
  );
}

import { DescribeSessionsCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { useState } from "react";
import { useApi } from "../../api/context";
import { type PageProps, hrefOf } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad, when } from "../../components/load";
import { parseAsciicast } from "../../terminal/asciicast";
import { Player } from "../../terminal/Player";

/** One session: who, where, when, why; terminate it while active; replay its recording. */
export function SessionDetails({ params }: PageProps) {
  const api = useApi();
  const id = params.id;
  const [error, setError] = useState<unknown>();
  const session = useLoad(
    async (a) => {
      for (const State of ["Active", "History"] as const) {
        const r = await a.ssm.send(new DescribeSessionsCommand({ State, Filters: [{ key: "SessionId", value: id }] }));
        const s = r.Sessions?.find((x) => x.SessionId === id);
        if (s) return { ...s, active: State === "Active" };
      }
      throw { name: "DoesNotExistException", message: `There is no session ${id} in ${a.region}.` };
    },
    [id],
  );
  const [wantReplay, setWantReplay] = useState(false);
  const recording = useLoad(
    async (a) => (wantReplay ? parseAsciicast(await a.get(`/v1/session-recording/${encodeURIComponent(id)}`)) : undefined),
    [id, wantReplay],
  );
  const s = session.data;
  const terminate = async () => {
    try {
      await api.ssm.send(new TerminateSessionCommand({ SessionId: id }));
      session.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          actions={
            s?.active ? (
              <Button onClick={terminate}>Terminate</Button>
            ) : (
              <Button variant="primary" onClick={() => setWantReplay(true)} disabled={wantReplay}>
                Replay recording
              </Button>
            )
          }
        >
          {`Session ${id}`}
        </Header>
      }
    >
      <SpaceBetween size="l">
        <ErrorAlert error={session.error} />
        <ErrorAlert error={error} />
        <Container header={<Header variant="h2">Details</Header>}>
          <KeyValue
            pairs={[
              [
                "Node",
                s ? (
                  <Link key="node" href={hrefOf(`/nodes/${s.Target}`)}>
                    {s.Target}
                  </Link>
                ) : (
                  "-"
                ),
              ],
              ["Owner", s?.Owner],
              ["Status", s?.Status],
              ["Document", s?.DocumentName],
              ["Reason", s?.Reason],
              ["Started", when(s?.StartDate)],
              ["Ended", when(s?.EndDate)],
              ["Max duration", s?.MaxSessionDuration],
            ]}
          />
        </Container>
        {wantReplay ? (
          <Container
            header={
              <Header variant="h2" description="What the session printed, with its timing (asciicast).">
                Recording
              </Header>
            }
          >
            <ErrorAlert error={recording.error} />
            {recording.data ? <Player cast={recording.data} /> : recording.loading ? <Box>Loading the recording...</Box> : null}
          </Container>
        ) : null}
      </SpaceBetween>
    </ContentLayout>
  );
}

import { ResumeSessionCommand, StartSessionCommand, TerminateSessionCommand } from "@aws-sdk/client-ssm";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import { useEffect, useRef, useState } from "react";
import { useApi } from "../../api/context";
import { type PageProps, hrefOf } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { BrowserDataChannel } from "../../terminal/data-channel";
import { Terminal, type TerminalHandle } from "../../terminal/Terminal";

type State = "starting" | "connected" | "reconnecting" | "ended" | "lost" | "failed";

/**
 * A shell on the node in the browser: StartSession, then the data channel to xterm.js; when the socket
 * drops, ResumeSession and a new socket, as the session-manager-plugin does.
 */
export function NodeTerminal({ params }: PageProps) {
  const api = useApi();
  const id = params.id;
  const [state, setState] = useState<State>("starting");
  const [error, setError] = useState<unknown>();
  const [sessionId, setSessionId] = useState("");
  const [note, setNote] = useState("");
  const channel = useRef<BrowserDataChannel>();
  const term = useRef<TerminalHandle>();
  const size = useRef<{ cols: number; rows: number }>();
  const pending = useRef<(Uint8Array | string)[]>([]);

  useEffect(() => {
    const write = (d: Uint8Array | string) => (term.current ? term.current.write(d) : pending.current.push(d));
    let stopped = false;
    (async () => {
      try {
        const r = await api.ssm.send(new StartSessionCommand({ Target: id, Reason: "openssm console terminal" }));
        if (!r.SessionId || !r.StreamUrl || !r.TokenValue) throw new Error("StartSession answered without SessionId, StreamUrl or TokenValue");
        if (stopped) {
          await api.ssm.send(new TerminateSessionCommand({ SessionId: r.SessionId }));
          return;
        }
        setSessionId(r.SessionId);
        write(`Starting session with SessionId: ${r.SessionId}\r\n`);
        const sessionId = r.SessionId;
        const resume = async () => {
          const again = await api.ssm.send(new ResumeSessionCommand({ SessionId: sessionId }));
          return { tokenValue: again.TokenValue || undefined, streamUrl: again.StreamUrl || undefined };
        };
        const ch = new BrowserDataChannel(
          r.StreamUrl,
          r.TokenValue,
          {
            onOutput: (d) => write(d),
            onReady: () => {
              setState("connected");
              if (size.current) ch.resize(size.current.cols, size.current.rows);
            },
            onClosed: (m) => {
              setState("ended");
              setNote(m);
              write(`\r\n\r\n${m ? `SessionId: ${r.SessionId} : ${m}` : `Exiting session with sessionId: ${r.SessionId}.`}\r\n`);
            },
            onLost: (why) => {
              setState((s) => (s === "ended" ? s : "lost"));
              setNote(why);
            },
            onReconnecting: (why) => {
              setState((s) => (s === "ended" ? s : "reconnecting"));
              setNote(why);
            },
            onReconnected: () => {
              setState((s) => (s === "reconnecting" ? "connected" : s));
              setNote("");
              if (size.current) ch.resize(size.current.cols, size.current.rows);
            },
          },
          resume,
        );
        channel.current = ch;
        await ch.open();
      } catch (e) {
        setState("failed");
        setError(e);
      }
    })();
    return () => {
      stopped = true;
      channel.current?.close();
    };
  }, [api, id]);

  const terminate = async () => {
    try {
      if (sessionId) await api.ssm.send(new TerminateSessionCommand({ SessionId: sessionId }));
    } catch (e) {
      setError(e);
    }
  };

  const status =
    state === "connected" ? (
      <StatusIndicator type="success">Connected</StatusIndicator>
    ) : state === "starting" ? (
      <StatusIndicator type="loading">Starting</StatusIndicator>
    ) : state === "reconnecting" ? (
      <StatusIndicator type="loading">{`Reconnecting: ${note}`}</StatusIndicator>
    ) : state === "ended" ? (
      <StatusIndicator type="stopped">Session ended</StatusIndicator>
    ) : (
      <StatusIndicator type="error">{state === "lost" ? `Disconnected: ${note}` : "Could not start"}</StatusIndicator>
    );

  return (
    <ContentLayout
      header={
        <Header
          variant="h1"
          description={sessionId ? <span data-testid="session-id">{`Session ${sessionId}`}</span> : "Opening a Session Manager session"}
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button href={hrefOf(`/nodes/${id}`)}>Back to node</Button>
              <Button onClick={terminate} disabled={!sessionId || state === "ended"}>
                Terminate
              </Button>
            </SpaceBetween>
          }
        >
          {`Terminal: ${id}`}
        </Header>
      }
    >
      <SpaceBetween size="m">
        <ErrorAlert error={error} />
        <Container header={status}>
          <Terminal
            onReady={(t) => {
              term.current = t;
              for (const d of pending.current.splice(0)) t.write(d);
            }}
            onInput={(text) => channel.current?.input(text)}
            onResize={(cols, rows) => {
              size.current = { cols, rows };
              if (state === "connected") channel.current?.resize(cols, rows);
            }}
          />
        </Container>
      </SpaceBetween>
    </ContentLayout>
  );
}

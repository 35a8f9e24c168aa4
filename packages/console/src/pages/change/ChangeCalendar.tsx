import { GetCalendarStateCommand, GetDocumentCommand, ListDocumentsCommand } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Container from "@cloudscape-design/components/container";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import StatusIndicator from "@cloudscape-design/components/status-indicator";
import Table from "@cloudscape-design/components/table";
import { hrefOf, type PageProps } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { KeyValue } from "../../components/KeyValue";
import { useLoad } from "../../components/load";

interface CalendarEvent {
  summary: string;
  start: Date;
  end: Date;
}

/**
 * A calendar's events: the VEVENTs of iCalendar text (SUMMARY, DTSTART, DTEND in UTC or floating
 * form), or the calendarEvents of a JSON calendar (name, startTime, endTime).
 */
function eventsOf(ics: string): CalendarEvent[] {
  const out: CalendarEvent[] = [];
  if (ics.trimStart().startsWith("{")) {
    try {
      const doc = JSON.parse(ics) as { calendarEvents?: { name?: string; startTime?: string; endTime?: string }[] };
      for (const e of doc.calendarEvents ?? []) {
        const start = new Date(String(e.startTime));
        const end = new Date(String(e.endTime ?? e.startTime));
        if (!Number.isNaN(start.getTime()) && !Number.isNaN(end.getTime())) out.push({ summary: e.name ?? "(no title)", start, end });
      }
    } catch {
      return [];
    }
    return out.sort((a, b) => a.start.getTime() - b.start.getTime());
  }
  const unfolded = ics.replace(/\r?\n[ \t]/g, "");
  for (const block of unfolded.split("BEGIN:VEVENT").slice(1)) {
    const field = (name: string) => new RegExp(`^${name}[^:\\n]*:(.*)$`, "m").exec(block)?.[1]?.trim();
    const date = (v: string | undefined) => {
      const m = v ? /^(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2}))?/.exec(v) : null;
      return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0))) : undefined;
    };
    const start = date(field("DTSTART"));
    const end = date(field("DTEND")) ?? start;
    if (start && end) out.push({ summary: field("SUMMARY") ?? "(no title)", start, end });
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime());
}

const DAY = 86_400_000;

/** Four weeks from this Monday, each day marked with the events that cover it. */
function MonthGrid({ events }: { events: CalendarEvent[] }) {
  const today = new Date();
  const monday = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - ((today.getUTCDay() + 6) % 7)));
  const days = Array.from({ length: 28 }, (_, i) => new Date(monday.getTime() + i * DAY));
  const cell = { border: "1px solid #8c8c94", padding: "4px", verticalAlign: "top", width: "14%", height: "64px" } as const;
  return (
    <table style={{ borderCollapse: "collapse", width: "100%" }}>
      <caption>Events in the next four weeks (UTC)</caption>
      <thead>
        <tr>
          {["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].map((d) => (
            <th key={d} scope="col">
              {d}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {[0, 1, 2, 3].map((w) => (
          <tr key={w}>
            {days.slice(w * 7, w * 7 + 7).map((d) => {
              const on = events.filter((e) => e.start.getTime() < d.getTime() + DAY && e.end.getTime() > d.getTime());
              return (
                <td key={d.toISOString()} style={cell} data-testid={`day-${d.toISOString().slice(0, 10)}`}>
                  <Box variant="small">{d.toISOString().slice(5, 10)}</Box>
                  {on.map((e) => (
                    <Box key={e.summary + e.start.toISOString()} variant="small" color="text-status-warning">
                      {e.summary}
                    </Box>
                  ))}
                </td>
              );
            })}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Change Calendar: the ChangeCalendar documents and whether each is open or closed now. */
export function CalendarList() {
  const docs = useLoad(async (a) => {
    const r = await a.ssm.send(new ListDocumentsCommand({ Filters: [{ Key: "DocumentType", Values: ["ChangeCalendar"] }], MaxResults: 50 }));
    return Promise.all(
      (r.DocumentIdentifiers ?? []).map(async (d) => ({
        name: d.Name ?? "",
        state: (await a.ssm.send(new GetCalendarStateCommand({ CalendarNames: [d.Name ?? ""] }))).State,
      })),
    );
  }, []);
  const items = docs.data ?? [];
  return (
    <>
      <ErrorAlert error={docs.error} />
      <Table
        variant="full-page"
        items={items}
        trackBy="name"
        loading={docs.loading && !docs.data}
        loadingText="Loading calendars"
        header={
          <Header variant="awsui-h1-sticky" counter={`(${items.length})`} description="When changes may happen (open) and when they may not (closed).">
            Change Calendar
          </Header>
        }
        empty={<Box textAlign="center">No change calendars (documents of type ChangeCalendar).</Box>}
        columnDefinitions={[
          { id: "name", header: "Calendar", cell: (c) => <Link href={hrefOf(`/change-calendar/${encodeURIComponent(c.name)}`)}>{c.name}</Link> },
          { id: "state", header: "State now", cell: (c) => <StatusIndicator type={c.state === "OPEN" ? "success" : "stopped"}>{c.state}</StatusIndicator> },
        ]}
      />
    </>
  );
}

/** One calendar: its state now, its next transition, and its events as a calendar. */
export function CalendarDetails({ params }: PageProps) {
  const name = params.name;
  const state = useLoad((a) => a.ssm.send(new GetCalendarStateCommand({ CalendarNames: [name] })), [name]);
  const doc = useLoad((a) => a.ssm.send(new GetDocumentCommand({ Name: name })), [name]);
  const events = eventsOf(doc.data?.Content ?? "");
  return (
    <SpaceBetween size="l">
      <Header variant="h1">{name}</Header>
      <ErrorAlert error={state.error} />
      <ErrorAlert error={doc.error} />
      <Container header={<Header variant="h2">State</Header>}>
        <KeyValue
          pairs={[
            ["State now", state.data?.State],
            ["Next transition", state.data?.NextTransitionTime],
            ["Events", String(events.length)],
          ]}
        />
      </Container>
      <Container header={<Header variant="h2">Calendar</Header>}>
        <MonthGrid events={events} />
      </Container>
      <Table
        items={events}
        trackBy={(e) => e.summary + e.start.toISOString()}
        header={<Header counter={`(${events.length})`}>Events</Header>}
        empty={<Box textAlign="center">No events.</Box>}
        columnDefinitions={[
          { id: "summary", header: "Event", cell: (e) => e.summary },
          { id: "start", header: "Starts (UTC)", cell: (e) => e.start.toISOString() },
          { id: "end", header: "Ends (UTC)", cell: (e) => e.end.toISOString() },
        ]}
      />
    </SpaceBetween>
  );
}

import Box from "@cloudscape-design/components/box";
import ColumnLayout from "@cloudscape-design/components/column-layout";
import Container from "@cloudscape-design/components/container";
import ContentLayout from "@cloudscape-design/components/content-layout";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import { hrefOf, useAreas } from "../../app/routes";

/** The console's start page: every area, as links. */
export function Home() {
  const areas = useAreas();
  const links = areas.flatMap((a) => a.links.map((l) => ({ ...l, section: a.section })));
  const sections = [...new Set(links.map((l) => l.section))];
  return (
    <ContentLayout
      header={
        <Header variant="h1" description="Manage your nodes, parameters, documents and sessions.">
          Systems Manager
        </Header>
      }
    >
      <Container header={<Header variant="h2">Capabilities</Header>}>
        <ColumnLayout columns={3} variant="text-grid">
          {sections.map((s) => (
            <SpaceBetween size="xs" key={s}>
              <Box variant="awsui-key-label">{s}</Box>
              {links
                .filter((l) => l.section === s)
                .map((l) => (
                  <Link key={l.href} href={hrefOf(l.href)}>
                    {l.text}
                  </Link>
                ))}
            </SpaceBetween>
          ))}
        </ColumnLayout>
      </Container>
    </ContentLayout>
  );
}

import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import { useState } from "react";
import { hrefOf, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { useLoad, when } from "../../components/load";
import { allPages, type IamRole, type IamUser } from "./admin-api";

type Kind = "user" | "role";
type Row = { name: string; id: string; arn: string; path: string; created: number };

function PrincipalTable({ kind }: { kind: Kind }) {
  const T = kind === "user" ? "User" : "Role";
  const [filter, setFilter] = useState("");
  const list = useLoad(
    async (api) => {
      const items = await allPages<IamUser & IamRole>(api, `List${T}s`, `${T}s`);
      return items.map(
        (p): Row => ({
          name: kind === "user" ? p.UserName : p.RoleName,
          id: kind === "user" ? p.UserId : p.RoleId,
          arn: p.Arn,
          path: p.Path,
          created: p.CreateDate,
        }),
      );
    },
    [kind],
  );
  const items = (list.data ?? []).filter((r) => !filter || r.name.includes(filter) || r.path.includes(filter));
  return (
    <SpaceBetween size="m">
      <ErrorAlert error={list.error} />
      <Table
        variant="full-page"
        items={items}
        trackBy="arn"
        loading={list.loading && !list.data}
        loadingText={`Loading ${kind}s`}
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={`(${items.length})`}
            description={kind === "user" ? "People and programs that sign requests with access keys." : "Identities that automation and nodes act as."}
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel={`Refresh ${kind}s`} onClick={list.reload} />
                <Button variant="primary" onClick={() => navigate(`/iam/${kind}s/create`)}>
                  Create {kind}
                </Button>
              </SpaceBetween>
            }
          >
            {T}s
          </Header>
        }
        filter={
          <TextFilter
            filteringText={filter}
            onChange={(e) => setFilter(e.detail.filteringText)}
            filteringPlaceholder={`Find ${kind}s by name or path`}
            filteringAriaLabel={`Find ${kind}s`}
          />
        }
        empty={<Box textAlign="center">No {kind}s.</Box>}
        columnDefinitions={[
          { id: "name", header: `${T} name`, cell: (r) => <Link href={hrefOf(`/iam/${kind}s/${encodeURIComponent(r.name)}`)}>{r.name}</Link> },
          { id: "path", header: "Path", cell: (r) => r.path },
          { id: "arn", header: "ARN", cell: (r) => r.arn },
          { id: "created", header: "Created", cell: (r) => when(r.created) },
        ]}
      />
    </SpaceBetween>
  );
}

export const UserList = () => <PrincipalTable kind="user" />;
export const RoleList = () => <PrincipalTable kind="role" />;

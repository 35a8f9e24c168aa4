import { DeleteParametersCommand, DescribeParametersCommand, type ParameterMetadata } from "@aws-sdk/client-ssm";
import Box from "@cloudscape-design/components/box";
import Button from "@cloudscape-design/components/button";
import Container from "@cloudscape-design/components/container";
import Grid from "@cloudscape-design/components/grid";
import Header from "@cloudscape-design/components/header";
import Link from "@cloudscape-design/components/link";
import Modal from "@cloudscape-design/components/modal";
import SpaceBetween from "@cloudscape-design/components/space-between";
import Table from "@cloudscape-design/components/table";
import TextFilter from "@cloudscape-design/components/text-filter";
import TreeView from "@cloudscape-design/components/tree-view";
import { useMemo, useState } from "react";
import { useApi } from "../../api/context";
import { hrefOf, navigate } from "../../app/routes";
import { ErrorAlert } from "../../components/ErrorAlert";
import { fetchAll } from "../../components/fetch-all";
import { useLoad, when } from "../../components/load";
import { parameterHref } from "./links";
import { type PathNode, pathTree } from "./tree";

/** Parameter Store: the hierarchy as a tree beside the table of parameters. */
export function ParameterList() {
  const api = useApi();
  const [filter, setFilter] = useState("");
  const [folder, setFolder] = useState("");
  const [expanded, setExpanded] = useState<string[]>([]);
  const [selected, setSelected] = useState<ParameterMetadata[]>([]);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<unknown>();
  const list = useLoad(async (a) => {
    const r = await fetchAll(async (NextToken) => {
      const p = await a.ssm.send(new DescribeParametersCommand({ NextToken, MaxResults: 50 }));
      return { items: p.Parameters, next: p.NextToken };
    }, 2000);
    return r;
  }, []);
  const all = list.data?.items ?? [];
  const tree = useMemo(() => pathTree(all.map((p) => p.Name ?? "")), [all]);
  const needle = filter.toLowerCase();
  const shown = all.filter(
    (p) => (!folder || (p.Name ?? "") === folder || (p.Name ?? "").startsWith(`${folder}/`)) && (p.Name ?? "").toLowerCase().includes(needle),
  );

  const remove = async () => {
    setError(undefined);
    try {
      const r = await api.ssm.send(new DeleteParametersCommand({ Names: selected.map((p) => p.Name ?? "") }));
      if (r.InvalidParameters?.length) setError({ name: "ParameterNotFound", message: `Not deleted: ${r.InvalidParameters.join(", ")}` });
      setSelected([]);
      list.reload();
    } catch (e) {
      setError(e);
    } finally {
      setConfirm(false);
    }
  };

  return (
    <SpaceBetween size="m">
      <ErrorAlert error={list.error} />
      <ErrorAlert error={error} onDismiss={() => setError(undefined)} />
      <Grid gridDefinition={[{ colspan: { default: 12, m: 3 } }, { colspan: { default: 12, m: 9 } }]}>
        <Container header={<Header variant="h2">Hierarchy</Header>}>
          <SpaceBetween size="xs">
            <Link onFollow={() => setFolder("")}>All parameters</Link>
            <TreeView<PathNode>
              ariaLabel="Parameter hierarchy"
              items={tree}
              getItemId={(n) => n.id}
              getItemChildren={(n) => (n.children.length ? n.children : undefined)}
              expandedItems={expanded}
              onItemToggle={(e) => setExpanded((x) => (e.detail.expanded ? [...x, e.detail.id] : x.filter((i) => i !== e.detail.id)))}
              renderItem={(n) => ({
                content: (
                  <Link onFollow={() => setFolder(n.id)} variant={folder === n.id ? "primary" : "secondary"}>
                    {n.label}
                  </Link>
                ),
              })}
            />
          </SpaceBetween>
        </Container>
        <Table
          data-testid="parameters-table"
          items={shown}
          trackBy="Name"
          selectionType="multi"
          selectedItems={selected}
          onSelectionChange={(e) => setSelected(e.detail.selectedItems)}
          ariaLabels={{ selectionGroupLabel: "Parameters", itemSelectionLabel: (_s, p) => p.Name ?? "", allItemsSelectionLabel: () => "All parameters" }}
          loading={list.loading && !list.data}
          loadingText="Loading parameters"
          header={
            <Header
              variant="h1"
              counter={`(${shown.length}${list.data?.more ? "+" : ""})`}
              description={folder ? `Under ${folder}` : "Configuration data and secrets, by path."}
              actions={
                <SpaceBetween direction="horizontal" size="xs">
                  <Button iconName="refresh" ariaLabel="Refresh" onClick={list.reload} />
                  <Button disabled={selected.length !== 1} onClick={() => navigate(parameterHref(selected[0]?.Name ?? "", "edit"))}>
                    Edit
                  </Button>
                  <Button disabled={selected.length === 0} onClick={() => setConfirm(true)}>
                    Delete
                  </Button>
                  <Button variant="primary" onClick={() => navigate(`/parameters/create${folder ? `?name=${encodeURIComponent(`${folder}/`)}` : ""}`)}>
                    Create parameter
                  </Button>
                </SpaceBetween>
              }
            >
              My parameters
            </Header>
          }
          filter={
            <TextFilter
              filteringText={filter}
              onChange={(e) => setFilter(e.detail.filteringText)}
              filteringPlaceholder="Find parameters by name"
              filteringAriaLabel="Filter parameters"
            />
          }
          empty={<Box textAlign="center">No parameters.</Box>}
          columnDefinitions={[
            { id: "name", header: "Name", cell: (p) => <Link href={hrefOf(parameterHref(p.Name ?? ""))}>{p.Name}</Link> },
            { id: "tier", header: "Tier", cell: (p) => p.Tier },
            { id: "type", header: "Type", cell: (p) => p.Type },
            { id: "version", header: "Version", cell: (p) => p.Version },
            { id: "modified", header: "Last modified", cell: (p) => when(p.LastModifiedDate) },
          ]}
        />
      </Grid>
      <Modal
        visible={confirm}
        onDismiss={() => setConfirm(false)}
        header="Delete parameters"
        footer={
          <Box float="right">
            <SpaceBetween direction="horizontal" size="xs">
              <Button variant="link" onClick={() => setConfirm(false)}>
                Cancel
              </Button>
              <Button variant="primary" onClick={remove}>
                Delete
              </Button>
            </SpaceBetween>
          </Box>
        }
      >
        Delete {selected.map((p) => p.Name).join(", ")}? Every version and label goes with it.
      </Modal>
    </SpaceBetween>
  );
}

/** A parameter hierarchy: "/app/db/url" under "/app" under "/app/db". */
export interface PathNode {
  id: string;
  label: string;
  children: PathNode[];
  /** A parameter with exactly this name (a path can be both a parameter and a folder). */
  isParameter: boolean;
}

export function pathTree(names: string[]): PathNode[] {
  const root: PathNode = { id: "", label: "", children: [], isParameter: false };
  for (const name of names) {
    const parts = name.startsWith("/") ? name.slice(1).split("/") : [name];
    let node = root;
    let id = "";
    parts.forEach((part, i) => {
      id = name.startsWith("/") ? `${id}/${part}` : part;
      let child = node.children.find((c) => c.id === id);
      if (!child) {
        child = { id, label: part, children: [], isParameter: false };
        node.children.push(child);
      }
      if (i === parts.length - 1) child.isParameter = true;
      node = child;
    });
  }
  const sort = (n: PathNode) => {
    n.children.sort((a, b) => a.label.localeCompare(b.label));
    n.children.forEach(sort);
  };
  sort(root);
  return root.children;
}

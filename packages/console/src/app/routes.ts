import { type ComponentType, createContext, lazy, useContext, useEffect, useState } from "react";

/** What a page component receives: the `:name` parts of its path and the `?a=b` query. */
export interface PageProps {
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface PageRoute {
  /** "/parameters", "/nodes/:id" */
  path: string;
  /** The browser tab's title and the breadcrumb's last item. */
  title: string;
  component: ComponentType<PageProps>;
}

export interface NavLink {
  text: string;
  href: string;
}

/** A group of pages: its routes and the links it adds under one SideNavigation section. */
export interface Area {
  section: string;
  links: NavLink[];
  routes: PageRoute[];
}

/** Every area of the console, as the shell holds them (pages that list the others read it here rather than import the registry). */
export const AreasContext = createContext<Area[]>([]);

export function useAreas(): Area[] {
  return useContext(AreasContext);
}

/** The part after "#": "/nodes/mi-0123?tab=tags" (default "/"). */
export function currentLocation(): string {
  const h = window.location.hash.replace(/^#/, "");
  return h.startsWith("/") ? h : "/";
}

/** Goes to a console page ("/parameters/create"). */
export function navigate(href: string): void {
  window.location.hash = href;
}

/** A link's href for a console page. */
export const hrefOf = (path: string) => `#${path}`;

/** The console location, following hash changes. */
export function useLocation(): string {
  const [loc, setLoc] = useState(currentLocation);
  useEffect(() => {
    const on = () => setLoc(currentLocation());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return loc;
}

/** The route matching a location, with its parameters; undefined: no page there. */
export function match(routes: PageRoute[], location: string): { route: PageRoute; props: PageProps } | undefined {
  const [path, search = ""] = location.split("?", 2);
  const parts = path.split("/").filter(Boolean);
  for (const route of routes) {
    const want = route.path.split("/").filter(Boolean);
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    let ok = true;
    for (let i = 0; i < want.length && ok; i++) {
      if (want[i].startsWith(":")) params[want[i].slice(1)] = decodeURIComponent(parts[i]);
      else ok = want[i] === parts[i];
    }
    if (ok) return { route, props: { params, query: new URLSearchParams(search) } };
  }
  return undefined;
}

/**
 * A page loaded when it is first shown (a chunk of its own):
 * `const NodeList = lazyPage(() => import("./NodeList"), (m) => m.NodeList);`. The shell shows a
 * spinner while it loads.
 */
export function lazyPage<M>(load: () => Promise<M>, pick: (m: M) => ComponentType<PageProps>): ComponentType<PageProps> {
  return lazy(async () => ({ default: pick(await load()) }));
}

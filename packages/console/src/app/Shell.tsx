import AppLayout from "@cloudscape-design/components/app-layout";
import BreadcrumbGroup from "@cloudscape-design/components/breadcrumb-group";
import SideNavigation, { type SideNavigationProps } from "@cloudscape-design/components/side-navigation";
import Spinner from "@cloudscape-design/components/spinner";
import TopNavigation from "@cloudscape-design/components/top-navigation";
import { Suspense, useEffect, useMemo } from "react";
import { useApi } from "../api/context";
import { ErrorAlert } from "../components/ErrorAlert";
import { areas } from "../pages";
import { AreasContext, hrefOf, match, navigate, useLocation } from "./routes";

/** Sections of the side navigation, in the AWS console's order. */
const SECTION_ORDER = ["Node Management", "Application Management", "Change Management", "Operations Management", "Administration"];

/** The signed-in console: top bar, side navigation, breadcrumbs and the page the location names. */
export function Shell({ onSignOut }: { onSignOut(): void }) {
  const api = useApi();
  const location = useLocation();
  const routes = useMemo(() => areas.flatMap((a) => a.routes), []);
  const found = match(routes, location);
  const title = found?.route.title ?? "Not found";
  useEffect(() => {
    document.title = `${title} - openssm`;
  }, [title]);

  const items = useMemo<SideNavigationProps.Item[]>(() => {
    const sections = [...new Set([...SECTION_ORDER, ...areas.map((a) => a.section)])];
    return sections
      .map((section) => ({
        type: "section" as const,
        text: section,
        items: areas.filter((a) => a.section === section).flatMap((a) => a.links.map((l) => ({ type: "link" as const, text: l.text, href: hrefOf(l.href) }))),
      }))
      .filter((s) => s.items.length > 0);
  }, []);
  const path = location.split("?")[0];
  const active = items
    .flatMap((s) => (s.type === "section" ? s.items : []))
    .map((l) => (l.type === "link" ? l.href.slice(1) : ""))
    .filter((h) => h && (path === h || path.startsWith(`${h}/`)))
    .sort((a, b) => b.length - a.length)[0];

  const Page = found?.route.component;
  return (
    <>
      <div id="top-nav">
        <TopNavigation
          identity={{ href: "#/", title: "openssm" }}
          utilities={[
            { type: "button", text: api.region, iconName: "globe", ariaLabel: `Region ${api.region}` },
            {
              type: "menu-dropdown",
              text: api.credentials.arn?.split(":").pop() ?? api.accessKeyId,
              description: api.credentials.arn ?? api.accessKeyId,
              iconName: "user-profile",
              items: [{ id: "signout", text: "Sign out" }],
              onItemClick: (e) => e.detail.id === "signout" && onSignOut(),
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        toolsHide
        ariaLabels={{
          navigation: "Side navigation",
          navigationClose: "Close side navigation",
          navigationToggle: "Open side navigation",
          notifications: "Notifications",
        }}
        navigation={
          <SideNavigation
            header={{ href: "#/", text: "Systems Manager" }}
            activeHref={active ? hrefOf(active) : "#/"}
            items={items}
            onFollow={(e) => {
              if (e.detail.external) return;
              e.preventDefault();
              navigate(e.detail.href.replace(/^#/, ""));
            }}
          />
        }
        breadcrumbs={
          <BreadcrumbGroup
            ariaLabel="Breadcrumbs"
            items={[{ text: "Systems Manager", href: "#/" }, ...(path !== "/" ? [{ text: title, href: hrefOf(location) }] : [])]}
            onFollow={(e) => {
              e.preventDefault();
              navigate(e.detail.href.replace(/^#/, ""));
            }}
          />
        }
        content={
          Page && found ? (
            <AreasContext.Provider value={areas}>
              <Suspense fallback={<Spinner size="large" />}>
                <Page key={path} {...found.props} />
              </Suspense>
            </AreasContext.Provider>
          ) : (
            <ErrorAlert error={{ name: "NotFound", message: `The console has no page at ${location}.` }} />
          )
        }
      />
    </>
  );
}

// The application shell: sign-in gate, top navigation (write and admin entries only for those roles) and
// the page for the current hash route.
import { lazy, Suspense, useEffect } from "react";
import type { Role } from "./api-types";
import { AuthProvider, useAuth } from "./auth";
import { client } from "./client";
import { Loading } from "./components/common";
import { AccountPage } from "./pages/account-page";
import { ActorPage, ActorsPage } from "./pages/actor-page";
import { CommunityPage } from "./pages/community-page";
import { CoveragePage } from "./pages/coverage-page";
import { GapsPage } from "./pages/gaps-page";
import { IncidentFormPage } from "./pages/incident-form-page";
import { IncidentPage } from "./pages/incident-page";
import { IncidentsPage } from "./pages/incidents-page";
import { LoginPage } from "./pages/login-page";
import { MatrixPage } from "./pages/matrix-page";
import { PlaybookPage } from "./pages/playbook-page";
import { ReleasesPage } from "./pages/releases-page";
import { ReportsPage } from "./pages/reports-page";
import { RulePage, RulesPage } from "./pages/rule-page";
import { ScanPage } from "./pages/scan-page";
import { TechniquePage } from "./pages/technique-page";
import { UsersPage } from "./pages/users-page";
import { WorkshopPage, WorkshopsPage } from "./pages/workshop-page";
import { href, type Route, useRoute } from "./router";
import { useCall } from "./use-api";

// The dashboard carries ECharts (most of the bundle): load it only when it is opened.
const DashboardPage = lazy(() => import("./pages/dashboard-page").then((m) => ({ default: m.DashboardPage })));

export function App() {
  return (
    <AuthProvider>
      <Shell />
    </AuthProvider>
  );
}

interface NavItem {
  path: string;
  label: string;
  role: Role;
}

const NAV: NavItem[] = [
  { path: "matrix", label: "Matrix", role: "viewer" },
  { path: "dashboard", label: "Dashboard", role: "viewer" },
  { path: "incidents", label: "Incidents", role: "viewer" },
  { path: "actors", label: "Actors", role: "viewer" },
  { path: "scan", label: "Scan", role: "responder" },
  { path: "gaps", label: "Playbook gaps", role: "viewer" },
  { path: "coverage", label: "Coverage", role: "viewer" },
  { path: "rules", label: "Rules", role: "viewer" },
  { path: "reports", label: "Reports", role: "viewer" },
  { path: "community", label: "Community", role: "viewer" },
  { path: "workshops", label: "Workshops", role: "viewer" },
  { path: "releases", label: "Releases", role: "viewer" },
  { path: "users", label: "Users", role: "admin" },
];

function Shell() {
  const auth = useAuth();
  const route = useRoute();
  if (auth.checking) return <Loading what="Starting" />;
  if (!auth.me) return <LoginPage />;
  const section = route.parts[0] ?? "matrix";
  return <SignedIn route={route} section={section} />;
}

function SignedIn({ route, section }: { route: Route; section: string }) {
  const auth = useAuth();
  // Tab and print titles name the page (and the record, on detail pages).
  const label =
    NAV.find((n) => n.path === section)?.label ??
    (section === "techniques"
      ? "Technique"
      : section === "playbooks"
        ? "Playbook"
        : section === "rules"
          ? "Rule"
          : section);
  const detail = route.parts[1] && route.parts[1] !== "new" ? ` ${route.parts[1]}` : "";
  useEffect(() => {
    document.title = `${label}${detail} · techtrail`;
  }, [label, detail]);
  if (!auth.me) return null;
  return (
    <>
      <header className="topbar">
        <a className="logo" href={href("matrix")}>
          techtrail
        </a>
        <nav aria-label="Main">
          {NAV.filter((n) => auth.can(n.role)).map((n) => (
            <a key={n.path} href={href(n.path)} className={section === n.path ? "active" : ""}>
              {n.label}
            </a>
          ))}
        </nav>
        <div className="who">
          <a data-testid="who" href={href("account")} title="Account and password">
            {auth.me.user.name} <span className="badge">{auth.me.role}</span>
          </a>
          <button type="button" className="link" onClick={() => void auth.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main className="content">
        <Page route={route} />
      </main>
      <CatalogLine />
    </>
  );
}

/** Which catalog and team overlay the service shows ("Catalog 2026.12 + overlay ACME (3 techniques, 5 additions)"). */
function CatalogLine() {
  const info = useCall(client.catalog.info.$get, {});
  if (!info.data) return null;
  const d = info.data;
  const warnings = d.overlay?.warnings.length ?? 0;
  return (
    <footer className="catalog-line muted" data-testid="catalog-line">
      {d.summary.charAt(0).toUpperCase() + d.summary.slice(1)}
      {d.overlay ? <span title={d.overlay.path}> · {d.overlay.name}</span> : null}
      {warnings ? (
        <span title="run `techtrail catalog overlay check` to list them">
          {" "}
          · {warnings} overlay warning{warnings === 1 ? "" : "s"}
        </span>
      ) : null}
    </footer>
  );
}

function Page({ route }: { route: Route }) {
  const [section = "matrix", a, b] = route.parts;
  switch (section) {
    case "matrix":
      return <MatrixPage demo={route.query.get("demo")} />;
    case "techniques":
      return a ? <TechniquePage id={a} /> : <MatrixPage />;
    case "incidents":
      if (a === "new") return <IncidentFormPage />;
      if (a && b === "edit") return <IncidentFormPage incidentKey={a} />;
      if (a) return <IncidentPage incidentKey={a} />;
      return <IncidentsPage query={route.query} />;
    case "dashboard":
      return (
        <Suspense fallback={<Loading what="Loading charts" />}>
          <DashboardPage />
        </Suspense>
      );
    case "scan":
      return <ScanPage />;
    case "rules":
      return a ? <RulePage id={a} /> : <RulesPage />;
    case "actors":
      return a ? <ActorPage id={a} /> : <ActorsPage />;
    case "gaps":
      return <GapsPage />;
    case "playbooks":
      return a ? <PlaybookPage id={a} /> : <GapsPage />;
    case "coverage":
      return <CoveragePage />;
    case "reports":
      return <ReportsPage />;
    case "community":
      return <CommunityPage />;
    case "workshops":
      return a ? <WorkshopPage id={a} /> : <WorkshopsPage />;
    case "releases":
      return <ReleasesPage from={route.query.get("from")} to={route.query.get("to")} />;
    case "users":
      return <UsersPage />;
    case "account":
      return <AccountPage />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            No page <code>{route.path}</code>. <a href={href("matrix")}>Go to the matrix</a>.
          </p>
        </section>
      );
  }
}

import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { setSessionNamespace } from "./api/client";
import { currentNamespace, type Identity, SIGNED_OUT_EVENT, selectNamespace, signOut, whoAmI } from "./api/session";
import { Link, match, navigate, pathForKfpLink, useLocation } from "./router";
import { ArtifactsPage, ExecutionsPage } from "./pages/ArtifactsPage";
import { ComparePage } from "./pages/ComparePage";
import { CreateRunPage } from "./pages/CreateRunPage";
import { DeploymentDetailsPage } from "./pages/DeploymentDetailsPage";
import { DeploymentsPage } from "./pages/DeploymentsPage";
import { ExperimentDetailsPage } from "./pages/ExperimentDetailsPage";
import { ExperimentsPage } from "./pages/ExperimentsPage";
import { ArtifactDetailsPage, ExecutionDetailsPage } from "./pages/LineagePages";
import { PipelineDetailsPage } from "./pages/PipelineDetailsPage";
import { PipelinesPage } from "./pages/PipelinesPage";
import { QueuePage } from "./pages/QueuePage";
import { RecurringRunDetailsPage } from "./pages/RecurringRunDetailsPage";
import { RecurringRunsPage } from "./pages/RecurringRunsPage";
import { RunDetailsPage } from "./pages/RunDetailsPage";
import { RunsPage } from "./pages/RunsPage";
import { SignInPage } from "./pages/SignInPage";

const SECTIONS = [
  { href: "/pipelines", label: "Pipelines" },
  { href: "/runs", label: "Runs" },
  { href: "/experiments", label: "Experiments" },
  { href: "/recurring", label: "Recurring runs" },
  { href: "/deployments", label: "Deployments" },
  { href: "/artifacts", label: "Artifacts" },
  { href: "/executions", label: "Executions" },
  { href: "/queue", label: "Queue" },
];

type Route = [pattern: string, render: (params: Record<string, string>, query: URLSearchParams) => ComponentChildren];

// More specific patterns first: "/runs/new" before "/runs/:id".
const ROUTES: Route[] = [
  ["/pipelines", () => <PipelinesPage />],
  ["/pipelines/:id", (params, query) => <PipelineDetailsPage pipelineId={params["id"]!} versionId={query.get("version")} />],
  ["/runs", () => <RunsPage />],
  ["/runs/new", (_, query) => <CreateRunPage query={query} />],
  ["/runs/:id", (params, query) => <RunDetailsPage runId={params["id"]!} query={query} />],
  ["/compare", (_, query) => <ComparePage runIds={(query.get("runs") ?? "").split(",").filter(Boolean)} />],
  ["/experiments", () => <ExperimentsPage />],
  ["/experiments/:id", (params) => <ExperimentDetailsPage experimentId={params["id"]!} />],
  ["/recurring", () => <RecurringRunsPage />],
  ["/recurring/:id", (params) => <RecurringRunDetailsPage recurringRunId={params["id"]!} />],
  ["/deployments", () => <DeploymentsPage />],
  ["/artifacts", () => <ArtifactsPage />],
  ["/artifacts/:id", (params) => <ArtifactDetailsPage artifactId={params["id"]!} />],
  ["/executions", () => <ExecutionsPage />],
  ["/executions/:id", (params) => <ExecutionDetailsPage executionId={params["id"]!} />],
  ["/queue", () => <QueuePage />],
  ["/deployments/:namespace/:name", (params) => <DeploymentDetailsPage namespace={params["namespace"]!} name={params["name"]!} />],
];

type Session = { kind: "loading" } | { kind: "single-user" } | { kind: "sign-in"; failed: boolean } | { kind: "user"; identity: Identity };

/** Single-user: the pages at once. Multi-user: the sign-in page until a token (or a sign-in proxy) says who. */
export function App() {
  const [session, setSession] = useState<Session>({ kind: "loading" });
  const [namespace, setNamespace] = useState<string | null>(null);
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    whoAmI().then(
      (who) => {
        if (who === "single-user") setSession({ kind: "single-user" });
        else if (who === "sign-in") setSession({ kind: "sign-in", failed: generation > 0 });
        else {
          const chosen = currentNamespace(who);
          setSessionNamespace(chosen);
          setNamespace(chosen);
          setSession({ kind: "user", identity: who });
        }
      },
      () => setSession({ kind: "single-user" }),
    );
  }, [generation]);
  useEffect(() => {
    const signedOut = () => setGeneration((value) => value + 1);
    window.addEventListener(SIGNED_OUT_EVENT, signedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, signedOut);
  }, []);
  if (session.kind === "loading") return null;
  if (session.kind === "sign-in") return <SignInPage failed={session.failed} onSignedIn={() => setGeneration((value) => value + 1)} />;
  const identity = session.kind === "user" ? session.identity : null;
  return (
    <Pages
      key={namespace ?? ""}
      identity={identity}
      namespace={namespace}
      onNamespace={(chosen) => {
        selectNamespace(chosen);
        setSessionNamespace(chosen);
        setNamespace(chosen);
      }}
      onSignOut={() => {
        signOut();
        setGeneration((value) => value + 1);
      }}
    />
  );
}

function Pages({
  identity,
  namespace,
  onNamespace,
  onSignOut,
}: {
  identity: Identity | null;
  namespace: string | null;
  onNamespace(namespace: string): void;
  onSignOut(): void;
}) {
  const { path, query } = useLocation();
  useEffect(() => {
    if (path === "/" || path === "") navigate(pathForKfpLink(window.location.hash) ?? "/runs", { replace: true });
  }, [path]);
  let page: ComponentChildren = null;
  for (const [pattern, render] of ROUTES) {
    const params = match(pattern, path);
    if (params) {
      page = render(params, query);
      break;
    }
  }
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <nav class="sidebar" aria-label="Sections">
        <Link href="/runs" class="brand">
          <span class="brand-mark" aria-hidden="true">≋</span> Sluice
        </Link>
        <ul>
          {SECTIONS.map((section) => (
            <li key={section.href}>
              <Link
                href={section.href}
                class={path.startsWith(section.href) ? "nav-link active" : "nav-link"}
                aria-current={path.startsWith(section.href) ? "page" : undefined}
              >
                {section.label}
              </Link>
            </li>
          ))}
        </ul>
        {identity ? (
          <div class="session">
            <label class="namespace-select">
              Namespace
              <select value={namespace ?? ""} onChange={(event) => onNamespace((event.target as HTMLSelectElement).value)}>
                {Object.entries(identity.namespaces)
                  .sort()
                  .map(([name, role]) => (
                    <option key={name} value={name}>
                      {name} ({role})
                    </option>
                  ))}
              </select>
            </label>
            <p class="signed-in">
              Signed in as <strong>{identity.name}</strong>
              {identity.admin ? " (admin)" : ""}
            </p>
            <button type="button" class="sign-out" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        ) : null}
        <a class="nav-api" href="/apis/v2beta1/openapi.json" target="_blank" rel="noreferrer">
          REST API (OpenAPI)
        </a>
      </nav>
      <main id="main" class="content" tabIndex={-1}>
        {page ?? (path === "/" ? null : <NotFound path={path} />)}
      </main>
    </div>
  );
}

function NotFound({ path }: { path: string }) {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{path}</code>. Go to <Link href="/runs">Runs</Link> or <Link href="/pipelines">Pipelines</Link>.
      </p>
    </section>
  );
}

import type { ComponentChildren } from "preact";
import { useEffect } from "preact/hooks";
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
import { RecurringRunDetailsPage } from "./pages/RecurringRunDetailsPage";
import { RecurringRunsPage } from "./pages/RecurringRunsPage";
import { RunDetailsPage } from "./pages/RunDetailsPage";
import { RunsPage } from "./pages/RunsPage";

const SECTIONS = [
  { href: "/pipelines", label: "Pipelines" },
  { href: "/runs", label: "Runs" },
  { href: "/experiments", label: "Experiments" },
  { href: "/recurring", label: "Recurring runs" },
  { href: "/deployments", label: "Deployments" },
  { href: "/artifacts", label: "Artifacts" },
  { href: "/executions", label: "Executions" },
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
  ["/deployments/:namespace/:name", (params) => <DeploymentDetailsPage namespace={params["namespace"]!} name={params["name"]!} />],
];

export function App() {
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

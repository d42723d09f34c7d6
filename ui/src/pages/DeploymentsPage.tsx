import { type Deployment, deploymentMetrics, deploymentPage, listDeployments } from "../api/serving";
import { DeploymentStateBadge, ServingChartRow, TrafficBar } from "../components/Deployments";
import { Empty, ErrorBox, Loading } from "../components/Messages";
import { PageHeader } from "../components/PageHeader";
import { useLoad } from "../hooks";
import { latestSummary, servingCharts } from "../lib/serving";
import { Link } from "../router";

const POLL_MS = 5000;
const WINDOW_S = 15 * 60;

export function DeploymentsPage() {
  const list = useLoad(listDeployments, "deployments", { pollMs: POLL_MS, poll: () => true });
  return (
    <section>
      <PageHeader title="Deployments" />
      <p class="muted intro">
        Models behind stable REST URLs (KServe's V1 and V2 protocols). Deploy one with{" "}
        <code>sluice deployments create NAME --model PATH</code>, or from a pipeline with <code>deploy_model</code>.
      </p>
      {list.error && !list.data ? <ErrorBox message={list.error} onRetry={list.reload} /> : null}
      {!list.data && !list.error ? <Loading what="Loading deployments" /> : null}
      {list.data && !list.data.length ? <Empty>No deployments yet.</Empty> : null}
      {list.data?.map((deployment) => <DeploymentCard key={deployment.id} deployment={deployment} />)}
    </section>
  );
}

function DeploymentCard({ deployment }: { deployment: Deployment }) {
  const metrics = useLoad(() => deploymentMetrics(deployment.namespace, deployment.name), deployment.id, {
    pollMs: POLL_MS,
    poll: () => true,
  });
  const now = Date.now() / 1000;
  const interval = metrics.data?.interval_seconds ?? 10;
  const points = metrics.data?.points ?? [];
  const summary = latestSummary(points, interval, now);
  return (
    <article class="deployment-card" aria-label={`Deployment ${deployment.name}`} data-deployment={deployment.name}>
      <header class="deployment-card-header">
        <h2>
          <Link href={deploymentPage(deployment.namespace, deployment.name)}>{deployment.name}</Link>{" "}
          <span class="muted namespace">{deployment.namespace}</span>
        </h2>
        <DeploymentStateBadge state={deployment.state} />
      </header>
      <dl class="facts compact">
        <dt>URL</dt>
        <dd>
          <code class="deployment-url">{deployment.url}</code>
        </dd>
        <dt>Traffic</dt>
        <dd>
          <TrafficBar deployment={deployment} />
          {deployment.pending_revision != null ? (
            <span class="muted"> · revision {deployment.pending_revision} loading</span>
          ) : null}
        </dd>
        <dt>Now</dt>
        <dd class="numbers">
          {summary.requestsPerSecond.toFixed(1)} requests/s · {summary.errorPercent.toFixed(1)}% errors
          {summary.p99Ms !== undefined ? ` · p99 ${summary.p99Ms.toFixed(1)} ms` : ""}
        </dd>
      </dl>
      {metrics.data ? <ServingChartRow charts={servingCharts(points, interval, now, WINDOW_S)} /> : null}
    </article>
  );
}

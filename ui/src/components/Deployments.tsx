// Pieces the deployment pages share: the state badge, the traffic bar, the charts, links from runs.

import type { Deployment, DeploymentState, RevisionLink } from "../api/serving";
import { deploymentPage, revisionLinks } from "../api/serving";
import { useLoad } from "../hooks";
import type { ServingCharts } from "../lib/serving";
import { Link } from "../router";
import { seriesColour } from "./Charts";
import { TimeSeriesChart } from "./TimeSeriesChart";

const STATES: Record<DeploymentState, { label: string; icon: string; css: string }> = {
  READY: { label: "Ready", icon: "✓", css: "state-succeeded" },
  LOADING: { label: "Loading", icon: "◐", css: "state-running" },
  FAILED: { label: "Failed", icon: "✕", css: "state-failed" },
  UNAVAILABLE: { label: "Unavailable", icon: "⊘", css: "state-canceled" },
};

export function DeploymentStateBadge({ state }: { state: DeploymentState }) {
  const shown = STATES[state] ?? STATES.UNAVAILABLE;
  return (
    <span class={`badge ${shown.css}`} data-state={state}>
      <span aria-hidden="true">{shown.icon}</span> {shown.label}
    </span>
  );
}

/** The traffic split as a bar, each revision's share labelled. */
export function TrafficBar({ deployment }: { deployment: Deployment }) {
  if (!deployment.traffic.length) return <span class="muted">No revision takes traffic.</span>;
  return (
    <div class="traffic-bar" role="img" aria-label={`Traffic: ${deployment.traffic.map((share) => `${share.percent}% to revision ${share.revision}`).join(", ")}`}>
      {deployment.traffic.map((share, index) => (
        <span
          key={share.revision}
          class={`traffic-share traffic-${share.role}`}
          style={{ flexGrow: share.percent, background: seriesColour(index) }}
          data-revision={share.revision}
        >
          r{share.revision} · {share.percent}%{share.role === "canary" ? " canary" : ""}
        </span>
      ))}
    </div>
  );
}

export function ServingChartRow({ charts, width = 300, height = 130 }: { charts: ServingCharts; width?: number; height?: number }) {
  const axis = { width, height, from: charts.from, to: charts.to };
  return (
    <div class="charts serving-charts">
      <TimeSeriesChart title="Request rate" unit="requests/s" series={charts.requestRate} {...axis} />
      <TimeSeriesChart title="Error rate" unit="% of requests" series={charts.errorRate} minimumMaximum={1} {...axis} />
      <TimeSeriesChart title="Latency" unit="ms" series={charts.latency} {...axis} />
    </div>
  );
}

function linkText(link: RevisionLink): string {
  return `${link.namespace === "default" ? "" : `${link.namespace}/`}${link.deployment} revision ${link.revision}`;
}

/** "Deployed as iris revision 2 (current)": the other end of a revision's link to its run or artifact. */
export function DeployedAs({ runId, artifactId }: { runId?: string; artifactId?: string }) {
  const links = useLoad(() => revisionLinks({ runId, artifactId }).catch(() => []), `${runId ?? ""}/${artifactId ?? ""}`);
  const found = links.data ?? [];
  if (!found.length) return null;
  return (
    <span class="deployed-as">
      <span class="muted">Deployed as</span>{" "}
      {found.map((link, index) => (
        <span key={`${link.deployment}-${link.revision}`}>
          {index ? ", " : ""}
          <Link href={deploymentPage(link.namespace, link.deployment)}>{linkText(link)}</Link>{" "}
          <span class="muted">({link.role})</span>
        </span>
      ))}
    </span>
  );
}

// What the deployment pages plot: request metrics (10-second buckets per revision) turned into time series.

import type { Deployment, MetricPoint } from "../api/serving";

/** One line of a chart: [seconds since the epoch, value] pairs; a null value is a gap. */
export interface Series {
  label: string;
  points: Array<[number, number | null]>;
}

export interface ServingCharts {
  from: number; // the time axis, seconds since the epoch
  to: number;
  requestRate: Series[]; // requests per second, per revision
  errorRate: Series[]; // percent of requests answered 5xx (or not at all), all revisions together
  latency: Series[]; // p50 and p99 in milliseconds, per revision
}

const seconds = (at: string) => Math.floor(Date.parse(at) / 1000);

/** Every bucket start from `from` to `to`, so idle intervals show as zero traffic rather than vanish. */
export function bucketStarts(from: number, to: number, interval: number): number[] {
  const first = Math.floor(from / interval) * interval;
  const starts: number[] = [];
  for (let start = first; start <= to; start += interval) starts.push(start);
  return starts;
}

export function servingCharts(points: MetricPoint[], interval: number, now: number, windowSeconds: number): ServingCharts {
  const starts = bucketStarts(now - windowSeconds, now, interval);
  const revisions = [...new Set(points.map((point) => point.revision))].sort((a, b) => a - b);
  const byBucket = new Map<number, MetricPoint[]>();
  for (const point of points) {
    const start = seconds(point.at);
    byBucket.set(start, [...(byBucket.get(start) ?? []), point]);
  }
  const label = (revision: number) => (revision === 0 ? "no replica" : `revision ${revision}`);
  const requestRate = revisions.map((revision) => ({
    label: label(revision),
    points: starts.map((start): [number, number | null] => {
      const point = byBucket.get(start)?.find((item) => item.revision === revision);
      return [start, point ? point.requests / interval : 0];
    }),
  }));
  const errorRate = [
    {
      label: "errors",
      points: starts.map((start): [number, number | null] => {
        const bucket = byBucket.get(start) ?? [];
        const requests = bucket.reduce((sum, point) => sum + point.requests, 0);
        const errors = bucket.reduce((sum, point) => sum + point.errors, 0);
        return [start, requests ? (100 * errors) / requests : null];
      }),
    },
  ];
  const latency = revisions
    .filter((revision) => revision !== 0)
    .flatMap((revision) =>
      (["p50", "p99"] as const).map((quantile) => ({
        label: `${label(revision)} ${quantile}`,
        points: starts.map((start): [number, number | null] => {
          const point = byBucket.get(start)?.find((item) => item.revision === revision);
          if (!point) return [start, null];
          return [start, quantile === "p50" ? point.latency_p50_ms : point.latency_p99_ms];
        }),
      })),
    );
  return { from: starts[0] ?? now - windowSeconds, to: starts[starts.length - 1] ?? now, requestRate, errorRate, latency };
}

/** The latest complete bucket's totals: requests per second, error percent, worst p99 (ms). */
export function latestSummary(points: MetricPoint[], interval: number, now: number) {
  const latestComplete = Math.floor(now / interval) * interval - interval;
  const bucket = points.filter((point) => seconds(point.at) === latestComplete);
  const requests = bucket.reduce((sum, point) => sum + point.requests, 0);
  const errors = bucket.reduce((sum, point) => sum + point.errors, 0);
  return {
    requestsPerSecond: requests / interval,
    errorPercent: requests ? (100 * errors) / requests : 0,
    p99Ms: bucket.length ? Math.max(...bucket.map((point) => point.latency_p99_ms)) : undefined,
  };
}

/** "90% → 3, 10% → 4 (canary)" */
export function trafficText(deployment: Deployment): string {
  if (!deployment.traffic.length) return "no traffic";
  return deployment.traffic
    .map((share) => `${share.percent}% → revision ${share.revision}${share.role === "canary" ? " (canary)" : ""}`)
    .join(", ");
}

/** Which actions make sense now. */
export function availableActions(deployment: Deployment) {
  return {
    promote: deployment.canary_revision != null,
    rollback:
      deployment.pending_revision != null || deployment.canary_revision != null || deployment.previous_revision != null,
  };
}

/** What a default rollback would do, said in words for the confirmation. */
export function rollbackText(deployment: Deployment): string {
  if (deployment.pending_revision != null) return `Cancel revision ${deployment.pending_revision}, which is loading.`;
  if (deployment.canary_revision != null)
    return `Drop the canary (revision ${deployment.canary_revision}): revision ${deployment.current_revision} takes all traffic.`;
  if (deployment.previous_revision != null)
    return `Revision ${deployment.previous_revision} (kept warm) takes all traffic from revision ${deployment.current_revision}.`;
  return "There is nothing to roll back to.";
}

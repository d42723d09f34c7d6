import { describe, expect, it } from "vitest";
import type { Deployment, MetricPoint } from "../src/api/serving";
import { availableActions, bucketStarts, latestSummary, rollbackText, servingCharts, trafficText } from "../src/lib/serving";

const at = (seconds: number) => new Date(seconds * 1000).toISOString();
const point = (start: number, revision: number, requests: number, errors = 0, p50 = 1, p99 = 4): MetricPoint => ({
  at: at(start),
  revision,
  requests,
  errors,
  client_errors: 0,
  latency_mean_ms: p50,
  latency_p50_ms: p50,
  latency_p99_ms: p99,
});

describe("servingCharts", () => {
  const points = [point(1000, 1, 80, 2), point(1000, 2, 20), point(1020, 1, 50, 0, 2, 9)];
  const charts = servingCharts(points, 10, 1025, 30);

  it("plots each revision's request rate, with idle buckets at zero", () => {
    expect(charts.requestRate.map((series) => series.label)).toEqual(["revision 1", "revision 2"]);
    expect(charts.requestRate[0]!.points).toEqual([
      [990, 0],
      [1000, 8],
      [1010, 0],
      [1020, 5],
    ]);
    expect(charts.requestRate[1]!.points[1]).toEqual([1000, 2]);
  });

  it("plots the error percentage over all revisions, with gaps where nothing was asked", () => {
    expect(charts.errorRate[0]!.points).toEqual([
      [990, null],
      [1000, 2],
      [1010, null],
      [1020, 0],
    ]);
  });

  it("plots p50 and p99 latency per revision", () => {
    expect(charts.latency.map((series) => series.label)).toEqual([
      "revision 1 p50",
      "revision 1 p99",
      "revision 2 p50",
      "revision 2 p99",
    ]);
    expect(charts.latency[1]!.points.slice(1)).toEqual([
      [1000, 4],
      [1010, null],
      [1020, 9],
    ]);
  });
});

describe("latestSummary", () => {
  it("reads the latest complete bucket", () => {
    const summary = latestSummary([point(1000, 1, 80, 4, 1, 3), point(1000, 2, 20, 0, 1, 7), point(1010, 1, 5)], 10, 1015);
    expect(summary).toEqual({ requestsPerSecond: 10, errorPercent: 4, p99Ms: 7 });
    expect(latestSummary([], 10, 1015)).toEqual({ requestsPerSecond: 0, errorPercent: 0, p99Ms: undefined });
  });
});

it("bucketStarts aligns to the interval", () => {
  expect(bucketStarts(1003, 1031, 10)).toEqual([1000, 1010, 1020, 1030]);
});

const deployment = (fields: Partial<Deployment>): Deployment => ({
  id: "d",
  namespace: "default",
  name: "iris",
  description: "",
  url: "http://host/serving/default/iris",
  state: "READY",
  traffic: [],
  current_revision: null,
  canary_revision: null,
  canary_percent: 0,
  previous_revision: null,
  pending_revision: null,
  revisions: [],
  created_at: at(0),
  updated_at: at(0),
  ...fields,
});

describe("deployment texts and actions", () => {
  it("describes the traffic split", () => {
    const canary = deployment({
      traffic: [
        { revision: 3, percent: 90, role: "current" },
        { revision: 4, percent: 10, role: "canary" },
      ],
    });
    expect(trafficText(canary)).toBe("90% → revision 3, 10% → revision 4 (canary)");
    expect(trafficText(deployment({}))).toBe("no traffic");
  });

  it("offers promote with a canary and rollback when there is something to go back to", () => {
    expect(availableActions(deployment({ current_revision: 1 }))).toEqual({ promote: false, rollback: false });
    expect(availableActions(deployment({ current_revision: 1, canary_revision: 2 }))).toEqual({ promote: true, rollback: true });
    expect(availableActions(deployment({ current_revision: 2, previous_revision: 1 }))).toEqual({ promote: false, rollback: true });
  });

  it("says what a rollback will do", () => {
    expect(rollbackText(deployment({ current_revision: 1, pending_revision: 2 }))).toMatch(/Cancel revision 2/);
    expect(rollbackText(deployment({ current_revision: 1, canary_revision: 2 }))).toMatch(/Drop the canary \(revision 2\)/);
    expect(rollbackText(deployment({ current_revision: 2, previous_revision: 1 }))).toMatch(/Revision 1 \(kept warm\)/);
  });
});

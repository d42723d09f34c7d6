// Sluice's lineage API (/apis/sluice/v1): artifacts, executions, the events between them, lineage graphs.

import { request } from "./client";
import type { components } from "./generated";
import { SERVING_API } from "./serving";

type Schemas = components["schemas"];

// The shapes, generated from the server's models (generated.ts; scripts/gen_api_types.py).
export type ArtifactSummary = Schemas["ArtifactSummary"];
export type ExecutionSummary = Schemas["ExecutionSummary"];
export type ExecutionUse = Schemas["ExecutionUse"];
export type ArtifactUse = Schemas["ArtifactUse"];
export type ArtifactDetail = Schemas["ArtifactDetail"];
export type ExecutionDetail = Schemas["ExecutionDetail"];
export type LineageEdge = Schemas["LineageEdge"];
export type LineageGraph = Schemas["LineageGraph"];

export interface ArtifactQuery {
  type?: string;
  name?: string;
  run_id?: string;
  page_size?: number;
  page_token?: string;
}

export interface ExecutionQuery {
  state?: string;
  name?: string;
  run_id?: string;
  page_size?: number;
  page_token?: string;
}

function query(values: object): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) if (value !== undefined && value !== "") params.set(key, String(value));
  const text = params.toString();
  return text ? `?${text}` : "";
}

export function listArtifacts(filter: ArtifactQuery): Promise<{ artifacts: ArtifactSummary[]; next_page_token: string }> {
  return request(`${SERVING_API}/artifacts${query(filter)}`);
}

export function listExecutions(filter: ExecutionQuery): Promise<{ executions: ExecutionSummary[]; next_page_token: string }> {
  return request(`${SERVING_API}/executions${query(filter)}`);
}

export function getArtifactDetail(id: string): Promise<ArtifactDetail> {
  return request(`${SERVING_API}/artifacts/${encodeURIComponent(id)}`);
}

export function getExecutionDetail(id: string): Promise<ExecutionDetail> {
  return request(`${SERVING_API}/executions/${encodeURIComponent(id)}`);
}

// Answers for a few seconds, by URL: a details page asks for its lineage as it asks for the details (in
// parallel), and the explorer it then draws gets the same answer instead of asking again.
const inFlight = new Map<string, Promise<LineageGraph>>();

export function getLineage(center: { artifact?: string; execution?: string }, depth = 2): Promise<LineageGraph> {
  const url = `${SERVING_API}/lineage${query({ ...center, depth, direction: "both" })}`;
  const pending = inFlight.get(url);
  if (pending) return pending;
  const started = request<LineageGraph>(url).finally(() => setTimeout(() => inFlight.delete(url), 5000));
  inFlight.set(url, started);
  return started;
}

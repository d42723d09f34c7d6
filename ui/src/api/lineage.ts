// Sluice's lineage API (/apis/sluice/v1): artifacts, executions, the events between them, lineage graphs.

import { request } from "./client";
import { SERVING_API } from "./serving";

export interface ArtifactSummary {
  id: string;
  name: string;
  display_name: string;
  type: string;
  uri: string;
  state: string;
  metadata: Record<string, unknown>;
  created_at: string;
  run_id?: string | null;
  task_path?: string | null;
}

export interface ExecutionSummary {
  id: string;
  name: string;
  type: string;
  state: string;
  component?: string | null;
  run_id?: string | null;
  task_id?: string | null;
  task_path?: string | null;
  created_at: string;
  cached_from_task_id?: string | null;
  cached_from_run_id?: string | null;
}

export interface ExecutionUse {
  type: string;
  key: string;
  list_index?: number | null;
  execution: ExecutionSummary;
}

export interface ArtifactUse {
  type: string;
  key: string;
  list_index?: number | null;
  artifact: ArtifactSummary;
}

export interface ArtifactDetail {
  artifact: ArtifactSummary;
  produced_by: ExecutionUse[];
  consumed_by: ExecutionUse[];
  deployed_in: { namespace: string; deployment: string; revision: number; state: string }[];
}

export interface ExecutionDetail {
  execution: ExecutionSummary;
  inputs: ArtifactUse[];
  outputs: ArtifactUse[];
}

export interface LineageEdge {
  execution_id: string;
  artifact_id: string;
  type: "INPUT" | "OUTPUT";
  key: string;
}

export interface LineageGraph {
  center: string;
  direction: "up" | "down" | "both";
  depth: number;
  artifacts: ArtifactSummary[];
  executions: ExecutionSummary[];
  edges: LineageEdge[];
  truncated: boolean;
}

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

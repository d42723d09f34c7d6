// Sluice's model serving API (/apis/sluice/v1): deployments, their revisions, history and request metrics.

import { request } from "./client";

export const SERVING_API = "/apis/sluice/v1";

export type DeploymentState = "READY" | "LOADING" | "FAILED" | "UNAVAILABLE";
export type RevisionRole = "current" | "canary" | "previous" | "pending" | "retired";

export interface Replica {
  index: number;
  state: string;
  pid?: number | null;
  port?: number | null;
  restarts: number;
  last_error?: string | null;
}

export interface Revision {
  number: number;
  state: "LOADING" | "READY" | "FAILED" | "STOPPED";
  role: RevisionRole;
  model_uri: string;
  predictor: string;
  replicas: number;
  resources: Record<string, unknown>;
  ready_replicas: number;
  replica_status: Replica[];
  run_id?: string | null;
  task_id?: string | null;
  task_name?: string | null;
  output_name?: string | null;
  artifact_id?: string | null;
  error?: string | null;
  created_at: string;
  ready_at?: string | null;
  stopped_at?: string | null;
}

export interface TrafficShare {
  revision: number;
  percent: number;
  role: "current" | "canary";
}

export interface Deployment {
  id: string;
  namespace: string;
  name: string;
  description: string;
  url: string;
  state: DeploymentState;
  traffic: TrafficShare[];
  current_revision?: number | null;
  canary_revision?: number | null;
  canary_percent: number;
  previous_revision?: number | null;
  pending_revision?: number | null;
  revisions: Revision[];
  created_at: string;
  updated_at: string;
}

export interface DeploymentAction {
  at: string;
  action: string;
  revision?: number | null;
  actor: string;
  detail: Record<string, unknown>;
}

export interface MetricPoint {
  at: string;
  revision: number;
  requests: number;
  errors: number;
  client_errors: number;
  latency_mean_ms: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
}

export interface DeploymentMetrics {
  interval_seconds: number;
  points: MetricPoint[];
}

export interface RevisionLink {
  namespace: string;
  deployment: string;
  revision: number;
  state: string;
  role: RevisionRole;
  url: string;
  run_id?: string | null;
  artifact_id?: string | null;
  output_name?: string | null;
}

const path = (namespace: string, name: string, suffix = "") =>
  `${SERVING_API}/deployments/${encodeURIComponent(name)}${suffix}?namespace=${encodeURIComponent(namespace)}`;

// Recorded with each action in the deployment's history, as what the user acted through.
const CLIENT = { "X-Sluice-Client": "sluice-ui" };

function post<T>(url: string, body?: unknown): Promise<T> {
  return request<T>(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...CLIENT },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export const listDeployments = () =>
  request<{ deployments?: Deployment[] }>(`${SERVING_API}/deployments`).then((body) => body.deployments ?? []);
export const getDeployment = (namespace: string, name: string) => request<Deployment>(path(namespace, name));
export const deploymentHistory = (namespace: string, name: string) =>
  request<{ actions?: DeploymentAction[] }>(path(namespace, name, "/history")).then((body) => body.actions ?? []);
export const deploymentMetrics = (namespace: string, name: string) =>
  request<DeploymentMetrics>(path(namespace, name, "/metrics"));

export const promoteDeployment = (namespace: string, name: string) => post<Deployment>(path(namespace, name, ":promote"));
export const rollbackDeployment = (namespace: string, name: string, toRevision?: number) =>
  post<Deployment>(path(namespace, name, ":rollback"), toRevision === undefined ? undefined : { to_revision: toRevision });
export const deleteDeployment = (namespace: string, name: string) =>
  request<void>(path(namespace, name), { method: "DELETE", headers: CLIENT });

/** The revisions deployed from a run's models (or from one artifact). */
export function revisionLinks(query: { runId?: string; artifactId?: string }): Promise<RevisionLink[]> {
  const params = new URLSearchParams();
  if (query.runId) params.set("run_id", query.runId);
  if (query.artifactId) params.set("artifact_id", query.artifactId);
  return request<{ revisions?: RevisionLink[] }>(`${SERVING_API}/revisions?${params}`).then((body) => body.revisions ?? []);
}

export const deploymentPage = (namespace: string, name: string) =>
  `/deployments/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

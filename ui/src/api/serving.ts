// Sluice's model serving API (/apis/sluice/v1): deployments, their revisions, history and request metrics.

import { request } from "./client";
import type { components } from "./generated";

type Schemas = components["schemas"];

export const SERVING_API = "/apis/sluice/v1";

export type DeploymentState = "READY" | "LOADING" | "FAILED" | "UNAVAILABLE";
export type RevisionRole = "current" | "canary" | "previous" | "pending" | "retired";

// The shapes, generated from the server's models (generated.ts; scripts/gen_api_types.py).
export type Replica = Schemas["Replica"];
export type Revision = Schemas["Revision"];
export type TrafficShare = Schemas["TrafficShare"];
export type Deployment = Schemas["Deployment"];
export type DeploymentAction = Schemas["DeploymentAction"];
export type MetricPoint = Schemas["MetricPoint"];
export type DeploymentMetrics = Schemas["DeploymentMetrics"];
export type RevisionLink = Schemas["RevisionLink"];

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

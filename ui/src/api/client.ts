// The KFP v2beta1 REST API (the one kfp.Client uses), plus Sluice's extensions, over fetch.

import type {
  Experiment,
  Page,
  Pipeline,
  PipelineVersion,
  RecurringRun,
  Run,
} from "./types";
import type { components } from "./generated";

import { SIGNED_OUT_EVENT, savedToken, withSession } from "./session";

export const API = "/apis/v2beta1";

/** A failed request, with the server's own explanation when it gave one. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The namespace the UI is scoped to (multi-user mode; set by the namespace selector). */
let sessionNamespace: string | null = null;

export function setSessionNamespace(namespace: string | null): void {
  sessionNamespace = namespace;
}

export async function request<T>(path: string, init?: RequestInit): Promise<T> {
  let response: Response;
  const [url, options] = withSession(path, init, savedToken(), sessionNamespace);
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError("Cannot reach the Sluice server. Is `sluice up` still running?", 0);
  }
  if (response.status === 401) window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
  if (!response.ok) throw new ApiError(await errorMessage(response), response.status);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : {}) as T;
}

async function errorMessage(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { message?: string; error?: string; error_message?: string };
    const message = body.message || body.error_message || body.error;
    if (message) return message;
  } catch {
    // Not JSON: fall through to the status line.
  }
  return `${response.status} ${response.statusText || "error"}${text && text.length < 200 ? `: ${text}` : ""}`;
}

function post<T>(path: string, body?: unknown): Promise<T> {
  return request<T>(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? "{}" : JSON.stringify(body),
  });
}

// --------------------------------------------------------------------------------------------- listing

export type Operation =
  | "EQUALS"
  | "NOT_EQUALS"
  | "GREATER_THAN"
  | "GREATER_THAN_EQUALS"
  | "LESS_THAN"
  | "LESS_THAN_EQUALS"
  | "IS_SUBSTRING";

export interface Predicate {
  key: string;
  operation: Operation;
  value: string | number;
}

export interface ListQuery {
  pageSize: number;
  pageToken?: string;
  /** "created_at desc"; Sluice also sorts runs by "metric:NAME". */
  sortBy?: string;
  predicates?: Predicate[];
  /** Extra query parameters, e.g. experiment_id. */
  params?: Record<string, string>;
}

/** KFP's filter JSON: numbers go in `double_value` (Sluice's metric extension) or `int_value`. */
export function filterJson(predicates: Predicate[]): string {
  return JSON.stringify({
    predicates: predicates.map(({ key, operation, value }) =>
      typeof value === "number"
        ? { key, operation, [Number.isInteger(value) ? "int_value" : "double_value"]: value }
        : { key, operation, string_value: value },
    ),
  });
}

export function listUrl(path: string, query: ListQuery): string {
  const params = new URLSearchParams({ page_size: String(query.pageSize), ...query.params });
  if (query.pageToken) params.set("page_token", query.pageToken);
  if (query.sortBy) params.set("sort_by", query.sortBy);
  if (query.predicates?.length) params.set("filter", filterJson(query.predicates));
  return `${path}?${params}`;
}

async function list<Item>(path: string, field: string, query: ListQuery): Promise<Page<Item>> {
  const body = await request<Record<string, unknown>>(listUrl(path, query));
  return {
    items: (body[field] as Item[] | undefined) ?? [],
    totalSize: Number(body["total_size"] ?? 0),
    nextPageToken: String(body["next_page_token"] ?? ""),
  };
}

// --------------------------------------------------------------------------------------------- pipelines

export const listPipelines = (query: ListQuery) => list<Pipeline>(`${API}/pipelines`, "pipelines", query);
export const getPipeline = (id: string) => request<Pipeline>(`${API}/pipelines/${encodeURIComponent(id)}`);

export const listVersions = (pipelineId: string, query: ListQuery) =>
  list<PipelineVersion>(`${API}/pipelines/${encodeURIComponent(pipelineId)}/versions`, "pipeline_versions", query);

export const getVersion = (pipelineId: string, versionId: string) =>
  request<PipelineVersion>(
    `${API}/pipelines/${encodeURIComponent(pipelineId)}/versions/${encodeURIComponent(versionId)}`,
  );

function upload<T>(url: string, file: File): Promise<T> {
  const form = new FormData();
  form.append("uploadfile", file, file.name);
  return request<T>(url, { method: "POST", body: form });
}

export function uploadPipeline(file: File, name: string, description: string): Promise<Pipeline> {
  const params = new URLSearchParams({ name, display_name: name });
  if (description) params.set("description", description);
  return upload<Pipeline>(`${API}/pipelines/upload?${params}`, file);
}

export function uploadVersion(pipelineId: string, file: File, name: string): Promise<PipelineVersion> {
  const params = new URLSearchParams({ pipelineid: pipelineId, name, display_name: name });
  return upload<PipelineVersion>(`${API}/pipelines/upload_version?${params}`, file);
}

// --------------------------------------------------------------------------------------------- experiments

export const listExperiments = (query: ListQuery) => list<Experiment>(`${API}/experiments`, "experiments", query);
export const getExperiment = (id: string) => request<Experiment>(`${API}/experiments/${encodeURIComponent(id)}`);
export const createExperiment = (displayName: string, description: string) =>
  post<Experiment>(`${API}/experiments`, { display_name: displayName, description, namespace: sessionNamespace ?? undefined });
export const archiveExperiment = (id: string, archive: boolean) =>
  post<void>(`${API}/experiments/${encodeURIComponent(id)}:${archive ? "archive" : "unarchive"}`);

// --------------------------------------------------------------------------------------------- runs

export const listRuns = (query: ListQuery) => list<Run>(`${API}/runs`, "runs", query);
export const getRun = (id: string) => request<Run>(`${API}/runs/${encodeURIComponent(id)}`);
export const createRun = (run: Partial<Run> & { profile?: string }) => post<Run>(`${API}/runs`, run);

/** An execution profile a namespace's runs may use (Sluice's extension, docs/security.md). */
type Schemas = components["schemas"];
export type ExecutionProfile = Schemas["ExecutionProfile"];

export const listProfiles = (namespace: string) =>
  request<Schemas["ProfileList"]>(`/apis/sluice/v1/profiles?namespace=${encodeURIComponent(namespace || "default")}`);

export type RunAction = "terminate" | "retry" | "archive" | "unarchive";
export const runAction = (id: string, action: RunAction) =>
  post<void>(`${API}/runs/${encodeURIComponent(id)}:${action}`);

// --------------------------------------------------------------------------------------------- recurring runs

// KFP's proto names this list field `recurringRuns` in JSON.
export const listRecurringRuns = (query: ListQuery) =>
  list<RecurringRun>(`${API}/recurringruns`, "recurringRuns", query);
export const getRecurringRun = (id: string) => request<RecurringRun>(`${API}/recurringruns/${encodeURIComponent(id)}`);
export const createRecurringRun = (recurring: Partial<RecurringRun>) => post<RecurringRun>(`${API}/recurringruns`, recurring);
export const enableRecurringRun = (id: string, enable: boolean) =>
  post<void>(`${API}/recurringruns/${encodeURIComponent(id)}:${enable ? "enable" : "disable"}`);

// --------------------------------------------------------------------------------------------- the queue

export type QueuedTask = Schemas["QueuedTask"];
export type QueueGroup = Schemas["QueueGroup"];
export type QueueSnapshot = Schemas["QueueSnapshot"];

export const getQueue = () => request<QueueSnapshot>("/apis/sluice/v1/queue");

// --------------------------------------------------------------------------------------------- deletes and URLs

const remove = (path: string) => request<void>(path, { method: "DELETE" });
const id = encodeURIComponent;

/** With `cascade`, its versions go too (the API refuses to delete a pipeline that has versions otherwise). */
export const deletePipeline = (pipelineId: string, cascade: boolean) =>
  remove(`${API}/pipelines/${id(pipelineId)}${cascade ? "?cascade=true" : ""}`);
export const deleteVersion = (pipelineId: string, versionId: string) =>
  remove(`${API}/pipelines/${id(pipelineId)}/versions/${id(versionId)}`);
export const deleteRun = (runId: string) => remove(`${API}/runs/${id(runId)}`);
export const deleteExperiment = (experimentId: string) => remove(`${API}/experiments/${id(experimentId)}`);
export const deleteRecurringRun = (recurringRunId: string) => remove(`${API}/recurringruns/${id(recurringRunId)}`);

/** A new pipeline whose first version the server fetches from `url` (http(s) or s3). */
export const createPipelineFromUrl = (url: string, name: string, description: string) =>
  post<Pipeline>(`${API}/pipelines/create`, {
    pipeline: { name, display_name: name, description },
    pipeline_version: { name, display_name: name, package_url: { pipeline_url: url } },
  });
export const createVersionFromUrl = (pipelineId: string, url: string, name: string) =>
  post<PipelineVersion>(`${API}/pipelines/${id(pipelineId)}/versions`, {
    pipeline_id: pipelineId,
    name,
    display_name: name,
    package_url: { pipeline_url: url },
  });

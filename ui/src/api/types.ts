// The API's shapes as the UI uses them: aliases of the types generated from the server's OpenAPI document
// (generated.ts, written by scripts/gen_api_types.py from the server's models; do not write shapes here).
// Timestamps are RFC 3339 strings; int64 fields arrive as strings, as grpc-gateway writes them.

import type { components } from "./generated";

type Schemas = components["schemas"];

export type RuntimeState = NonNullable<Schemas["Run"]["state"]>;
export type StorageState = NonNullable<Schemas["Run"]["storage_state"]>;
export type RpcStatus = Schemas["Status"];
export type Pipeline = Schemas["Pipeline"];
export type PipelineVersion = Schemas["PipelineVersion"];
export type Experiment = Schemas["Experiment"];
export type RuntimeConfig = Schemas["RuntimeConfig"];
export type RuntimeStatus = Schemas["RuntimeStatus"];
export type ArtifactList = Schemas["TaskArtifactList"];
export type ChildTask = Schemas["ChildTask"];
export type Run = Schemas["Run"];
export type Trigger = Schemas["Trigger"];
export type RecurringRun = Schemas["RecurringRun"];

/** A compiled pipeline as JSON: either a bare PipelineSpec or `{pipeline_spec, platform_spec}`. */
export type PipelineSpecDocument = NonNullable<Schemas["PipelineVersion"]["pipeline_spec"]>;

/** Where one environment variable of a task came from (a secret, a config map key, a field path). */
export interface EnvSource {
  name: string;
  from: "secret" | "config_map" | "field_path";
  source?: string;
  key?: string;
  field_path?: string;
  skipped?: string;
}

/** The API leaves a task's `platform` free-form (the engine's record of its kfp-kubernetes settings as
 * applied, never a secret's value); this is how the UI reads it. */
export interface TaskPlatform {
  pod_name?: string;
  namespace?: string;
  service_account?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  env?: EnvSource[];
  timeout_seconds?: number;
  /** Sluice: the sandboxed execution profile it ran under, and the volumes mounted in it. */
  profile?: string;
  volumes?: { mount_path: string; read_only: boolean; tmpfs: boolean }[];
  /** Settings recorded but not used on this machine (node selectors, tolerations...), as compiled. */
  not_applied?: Record<string, unknown>;
  unknown?: string[];
}

export type TaskDetail = Omit<Schemas["PipelineTaskDetail"], "platform"> & { platform?: TaskPlatform };

export interface Page<Item> {
  items: Item[];
  totalSize: number;
  nextPageToken: string;
}

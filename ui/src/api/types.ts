// KFP v2beta1 REST shapes (snake_case JSON), limited to the fields the UI reads.
// Timestamps are RFC 3339 strings; int64 fields arrive as strings, as grpc-gateway writes them.

export type RuntimeState =
  | "RUNTIME_STATE_UNSPECIFIED"
  | "PENDING"
  | "RUNNING"
  | "SUCCEEDED"
  | "SKIPPED"
  | "FAILED"
  | "CANCELING"
  | "CANCELED"
  | "PAUSED";

export type StorageState = "STORAGE_STATE_UNSPECIFIED" | "AVAILABLE" | "ARCHIVED";

export interface RpcStatus {
  code?: number;
  message?: string;
  details?: unknown[];
}

export interface Pipeline {
  pipeline_id: string;
  display_name?: string;
  name?: string;
  description?: string;
  created_at?: string;
}

export interface PipelineVersion {
  pipeline_id: string;
  pipeline_version_id: string;
  display_name?: string;
  name?: string;
  description?: string;
  created_at?: string;
  pipeline_spec?: PipelineSpecDocument;
}

export interface Experiment {
  experiment_id: string;
  display_name?: string;
  description?: string;
  created_at?: string;
  storage_state?: StorageState;
  last_run_created_at?: string;
  namespace?: string;
}

export interface RuntimeConfig {
  parameters?: Record<string, unknown>;
  pipeline_root?: string;
}

export interface RuntimeStatus {
  update_time?: string;
  state?: RuntimeState;
  error?: RpcStatus;
}

export interface ArtifactList {
  artifact_ids?: string[];
}

export interface ChildTask {
  task_id?: string;
  pod_name?: string;
}

export interface TaskDetail {
  run_id?: string;
  task_id: string;
  display_name?: string;
  create_time?: string;
  start_time?: string;
  end_time?: string;
  state?: RuntimeState;
  execution_id?: string;
  error?: RpcStatus;
  inputs?: Record<string, ArtifactList>;
  outputs?: Record<string, ArtifactList>;
  parent_task_id?: string;
  state_history?: RuntimeStatus[];
  pod_name?: string;
  child_tasks?: ChildTask[];
  // Sluice extensions.
  name?: string;
  path?: string;
  kind?: string;
  attempts?: number;
  input_parameters?: Record<string, unknown>;
  output_parameters?: Record<string, unknown>;
  cached_from_task_id?: string;
  /** Sluice extension: the run and task path a cached task reused. */
  cached_from_run_id?: string;
  cached_from_task_path?: string;
  /** Sluice extension: the task's kfp-kubernetes settings as applied (never a secret's value). */
  platform?: TaskPlatform;
  /** Sluice extension: the cluster node its latest attempt ran on (Ray's node id), and its address. */
  node_id?: string;
  node_address?: string;
}

/** Where one environment variable of a task came from (a secret, a config map key, a field path). */
export interface EnvSource {
  name: string;
  from: "secret" | "config_map" | "field_path";
  source?: string;
  key?: string;
  field_path?: string;
  skipped?: string;
}

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

export interface Run {
  run_id: string;
  experiment_id?: string;
  display_name?: string;
  description?: string;
  storage_state?: StorageState;
  pipeline_version_id?: string;
  pipeline_version_reference?: { pipeline_id?: string; pipeline_version_id?: string };
  pipeline_spec?: PipelineSpecDocument;
  runtime_config?: RuntimeConfig;
  created_at?: string;
  scheduled_at?: string;
  finished_at?: string;
  state?: RuntimeState;
  error?: RpcStatus;
  run_details?: { task_details?: TaskDetail[] };
  recurring_run_id?: string;
  state_history?: RuntimeStatus[];
  /** Sluice extension: the scalar metrics the run logged. */
  metrics?: Record<string, number>;
  /** Sluice extension: settings of the run this machine does not use. */
  warnings?: string[];
  /** Sluice, multi-user mode: who created the run. */
  created_by?: string;
  /** Sluice extension, in lists: the pipeline's name for a run created from a package (no stored version). */
  pipeline_name?: string;
}

export interface Trigger {
  /** `time_zone` is Sluice's extension (the cron's IANA zone; UTC without it). */
  cron_schedule?: { cron?: string; time_zone?: string; start_time?: string; end_time?: string };
  periodic_schedule?: { interval_second?: string; start_time?: string; end_time?: string };
}

export interface RecurringRun {
  recurring_run_id: string;
  display_name?: string;
  description?: string;
  pipeline_version_id?: string;
  pipeline_version_reference?: { pipeline_id?: string; pipeline_version_id?: string };
  pipeline_spec?: PipelineSpecDocument;
  runtime_config?: RuntimeConfig;
  max_concurrency?: string;
  trigger?: Trigger;
  mode?: "MODE_UNSPECIFIED" | "ENABLE" | "DISABLE";
  created_at?: string;
  updated_at?: string;
  status?: "STATUS_UNSPECIFIED" | "ENABLED" | "DISABLED";
  no_catchup?: boolean;
  experiment_id?: string;
}

export interface Page<Item> {
  items: Item[];
  totalSize: number;
  nextPageToken: string;
}

/** A compiled pipeline as JSON: either a bare PipelineSpec or `{pipeline_spec, platform_spec}`. */
export type PipelineSpecDocument = Record<string, unknown>;

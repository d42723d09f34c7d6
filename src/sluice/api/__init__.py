"""The KFP v2beta1 API's response shapes, defined once: the server's handlers return these models,
``sluice.Client`` parses responses into them, and the UI's TypeScript types are generated from the OpenAPI
document they describe (``scripts/gen_api_types.py``).

Field for field as KFP's ``backend/api/v2beta1`` as its REST gateway writes them: snake_case, RFC 3339
times, int64s as strings, and unset fields left out (protobuf's JSON never writes null: a ``None`` field is
omitted, and the schema says so by not allowing null). Sluice's extensions are described as such; KFP
clients ignore them. Pydantic only: no server or client module is imported here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic.config import ConfigDict

__all__ = [
    "ArtifactMetadata",
    "ChildTask",
    "CronSchedule",
    "ExecutionProfile",
    "ExecutorDetail",
    "Experiment",
    "Healthz",
    "Identity",
    "ListExperimentsResponse",
    "ListPipelineVersionsResponse",
    "ListPipelinesResponse",
    "ListRecurringRunsResponse",
    "ListRunsResponse",
    "Message",
    "PeriodicSchedule",
    "Pipeline",
    "PipelineTaskDetail",
    "PipelineVersion",
    "PipelineVersionReference",
    "ProfileList",
    "QueueCapacity",
    "QueueGroup",
    "QueueSnapshot",
    "QueuedTask",
    "ReadArtifactResponse",
    "RecurringRun",
    "Run",
    "RunDetails",
    "RuntimeConfig",
    "RuntimeState",
    "RuntimeStatus",
    "Status",
    "StorageState",
    "TaskArtifactList",
    "Trigger",
    "Url",
]


RuntimeState = Literal[
    "RUNTIME_STATE_UNSPECIFIED",
    "PENDING",
    "RUNNING",
    "SUCCEEDED",
    "SKIPPED",
    "FAILED",
    "CANCELING",
    "CANCELED",
    "PAUSED",
]
StorageState = Literal["STORAGE_STATE_UNSPECIFIED", "AVAILABLE", "ARCHIVED"]


def _no_null(schema: dict[str, Any]) -> None:
    # A None field is never written (see Message): no property's schema admits null, nor defaults to it.
    for prop in schema.get("properties", {}).values():
        if "default" in prop and prop["default"] is None:
            del prop["default"]
        options = prop.get("anyOf")
        if isinstance(options, list) and {"type": "null"} in options:
            rest = [option for option in options if option != {"type": "null"}]
            del prop["anyOf"]
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest


class Message(BaseModel):
    """A protobuf message as JSON: fields that are ``None`` are left out of the document. Write it with
    ``exclude_none=True`` (the service's v2beta1 routes do: ``sluice.server``'s ``MessageRoute``); values
    inside free-form fields (``parameters``, ``pipeline_spec``) keep their nulls either way."""

    model_config = ConfigDict(json_schema_extra=_no_null)


class Status(Message):
    """An error, as ``google.rpc.Status`` (and the body of every error response)."""

    code: int | None = None
    message: str | None = None
    error: str | None = None
    details: list[dict[str, Any]] | None = None


class Url(Message):
    pipeline_url: str | None = None


# ----------------------------------------------------------------------------------------------- pipelines


class Pipeline(Message):
    pipeline_id: str
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    namespace: str | None = None
    error: Status | None = None
    tags: dict[str, str] | None = Field(default=None, description="Sluice: the pipeline's tags.")


class PipelineVersion(Message):
    pipeline_id: str
    pipeline_version_id: str
    name: str | None = None
    display_name: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    package_url: Url | None = None
    code_source_url: str | None = None
    pipeline_spec: dict[str, Any] | None = Field(
        default=None,
        description="The compiled PipelineSpec, or {pipeline_spec, platform_spec} when it has a platform spec.",
    )
    error: Status | None = None
    tags: dict[str, str] | None = Field(default=None, description="Sluice: the version's tags.")


class ListPipelinesResponse(Message):
    pipelines: list[Pipeline] = []
    total_size: int = 0
    next_page_token: str = ""


class ListPipelineVersionsResponse(Message):
    pipeline_versions: list[PipelineVersion] = []
    total_size: int = 0
    next_page_token: str = ""


# ----------------------------------------------------------------------------------------------- experiments


class Experiment(Message):
    experiment_id: str
    display_name: str | None = None
    description: str | None = None
    created_at: datetime | None = None
    namespace: str | None = None
    storage_state: StorageState | None = None
    last_run_created_at: datetime | None = None


class ListExperimentsResponse(Message):
    experiments: list[Experiment] = []
    total_size: int = 0
    next_page_token: str = ""


# ----------------------------------------------------------------------------------------------- runs


class RuntimeConfig(Message):
    parameters: dict[str, Any] | None = None
    pipeline_root: str | None = None


class PipelineVersionReference(Message):
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None


class RuntimeStatus(Message):
    update_time: datetime | None = None
    state: RuntimeState | None = None
    error: Status | None = None


class TaskArtifactList(Message):
    """KFP's ``PipelineTaskDetail.ArtifactList``: the artifacts of one input or output of a task."""

    artifact_ids: list[str] = []


class ChildTask(Message):
    task_id: str | None = None
    pod_name: str | None = None


class ExecutorDetail(Message):
    main_job: str | None = Field(default=None, description="Sluice: the task's process id.")


class PipelineTaskDetail(Message):
    run_id: str | None = None
    task_id: str
    display_name: str | None = None
    create_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    executor_detail: ExecutorDetail | None = None
    state: RuntimeState | None = None
    execution_id: str | None = None
    error: Status | None = None
    inputs: dict[str, TaskArtifactList] | None = None
    outputs: dict[str, TaskArtifactList] | None = None
    parent_task_id: str | None = None
    state_history: list[RuntimeStatus] | None = None
    child_tasks: list[ChildTask] | None = None
    # Sluice extensions.
    name: str | None = Field(default=None, description="Sluice: the task's name in its DAG.")
    path: str | None = Field(default=None, description="Sluice: where the task sits in the run.")
    kind: str | None = Field(default=None, description="Sluice: container, importer, dag, loop, ...")
    attempts: int | None = Field(default=None, description="Sluice: how many times it started.")
    input_parameters: dict[str, Any] | None = Field(default=None, description="Sluice: parameter inputs.")
    output_parameters: dict[str, Any] | None = Field(default=None, description="Sluice: parameter outputs.")
    cached_from_task_id: str | None = Field(default=None, description="Sluice: the task it reused.")
    cached_from_run_id: str | None = Field(default=None, description="Sluice: the run of the task it reused.")
    cached_from_task_path: str | None = Field(
        default=None, description="Sluice: the path of the task it reused, in its run."
    )
    platform: dict[str, Any] | None = Field(
        default=None,
        description="Sluice: the task's kfp-kubernetes settings as applied: pod_name, namespace, "
        "service_account, labels, annotations, env (which secret, config map key or field path set each "
        "variable; never a value), timeout_seconds, not_applied (settings recorded but unused here).",
    )
    node_id: str | None = Field(
        default=None, description="Sluice: the cluster node its latest attempt ran on (Ray's node id)."
    )
    node_address: str | None = Field(default=None, description="Sluice: that node's address.")


class RunDetails(Message):
    pipeline_context_id: str | None = None
    pipeline_run_context_id: str | None = None
    task_details: list[PipelineTaskDetail] = []


class Run(Message):
    experiment_id: str | None = None
    run_id: str
    display_name: str | None = None
    storage_state: StorageState | None = None
    description: str | None = None
    pipeline_version_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReference | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: str | None = None
    created_at: datetime | None = None
    scheduled_at: datetime | None = None
    finished_at: datetime | None = None
    state: RuntimeState | None = None
    error: Status | None = None
    run_details: RunDetails | None = None
    recurring_run_id: str | None = None
    state_history: list[RuntimeStatus] | None = None
    metrics: dict[str, float] | None = Field(
        default=None, description="Sluice: scalar metrics the run logged."
    )
    warnings: list[str] | None = Field(
        default=None, description="Sluice: settings of the run this machine does not use."
    )
    created_by: str | None = Field(
        default=None, description="Sluice: the user who created the run (multi-user mode)."
    )
    pipeline_name: str | None = Field(
        default=None,
        description="Sluice, in lists: the pipeline's name for a run created from a package (no stored version).",
    )


class ListRunsResponse(Message):
    runs: list[Run] = []
    total_size: int = 0
    next_page_token: str = ""


class ReadArtifactResponse(Message):
    data: str = Field(description="The artifact's bytes, base64 (as KFP's ReadArtifact).")


class ArtifactMetadata(Message):
    """Sluice: an artifact's metadata and where to download its content."""

    artifact_id: str
    uri: str | None = None
    name: str | None = None
    display_name: str | None = None
    artifact_type: str | None = Field(default=None, description='The schema title, e.g. "system.Metrics".')
    schema_version: str | None = None
    metadata: dict[str, Any] | None = None
    state: str | None = None
    artifact_size: str | None = Field(
        default=None, description="Bytes (int64, as a string); absent for folders and remote URIs."
    )
    created_at: datetime | None = None
    last_updated_at: datetime | None = None
    download_url: str | None = None


# ----------------------------------------------------------------------------------------------- recurring runs


class CronSchedule(Message):
    start_time: datetime | None = None
    end_time: datetime | None = None
    cron: str | None = None
    time_zone: str | None = Field(
        default=None, description="Sluice: the IANA time zone of the cron expression (UTC)."
    )


class PeriodicSchedule(Message):
    start_time: datetime | None = None
    end_time: datetime | None = None
    interval_second: str | None = Field(default=None, description="Seconds (int64, as a string).")


class Trigger(Message):
    cron_schedule: CronSchedule | None = None
    periodic_schedule: PeriodicSchedule | None = None


class RecurringRun(Message):
    recurring_run_id: str
    display_name: str | None = None
    description: str | None = None
    pipeline_version_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReference | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: str | None = None
    max_concurrency: str | None = Field(default=None, description="int64, as a string.")
    trigger: Trigger | None = None
    mode: Literal["MODE_UNSPECIFIED", "ENABLE", "DISABLE"] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status: Literal["STATUS_UNSPECIFIED", "ENABLED", "DISABLED"] | None = None
    error: Status | None = None
    no_catchup: bool | None = None
    namespace: str | None = None
    experiment_id: str | None = None
    next_fire_time: datetime | None = Field(
        default=None, description="Sluice: when the scheduler fires it next."
    )


class ListRecurringRunsResponse(Message):
    # Camel case in KFP's proto itself (the only such field); kfp.Client reads it so.
    recurringRuns: list[RecurringRun] = []
    total_size: int = 0
    next_page_token: str = ""


class Healthz(Message):
    multi_user: bool = False
    pipeline_store: str = Field(default="database", description="Where pipelines are kept.")
    # Sluice extensions.
    version: str | None = None
    database: str | None = None
    artifact_root: str | None = None


# ----------------------------------------------------------------------------------------------- Sluice's own
# /apis/sluice/v1: plain JSON (nulls written), not protobuf messages.


class Identity(BaseModel):
    """``GET /me``: who the request signs in as."""

    name: str = Field(description="Empty when the server is not multi-user.")
    admin: bool
    namespaces: dict[str, str] = Field(description="Namespace: role (owner, edit or view).")
    multi_user: bool


class QueueCapacity(BaseModel):
    gpus: int
    gpus_free: int
    cpu: float
    memory_bytes: float


class QueuedTask(BaseModel):
    run_id: str
    task: str
    gpus: int
    cpu: float
    memory_bytes: float
    gpu_indices: list[int] | None = Field(default=None, description="Running tasks: the GPUs they hold.")
    position: int | None = Field(default=None, description="Pending tasks: their place in line.")
    reason: str | None = Field(default=None, description="Pending tasks: why they wait.")


class QueueGroup(BaseModel):
    namespace: str
    user: str
    running: list[QueuedTask]
    pending: list[QueuedTask]


class QueueSnapshot(BaseModel):
    """``GET /queue``: per namespace and user, the running tasks and the pending ones with their reasons."""

    capacity: QueueCapacity | None = Field(
        description="None: the server has no fair queue (Ray places tasks)."
    )
    namespaces: list[QueueGroup]


class ExecutionProfile(BaseModel):
    name: str
    description: str
    sandboxed: bool
    network: str


class ProfileList(BaseModel):
    """``GET /profiles``: the execution profiles a namespace's runs may use, its default first."""

    namespace: str
    default: str
    profiles: list[ExecutionProfile]

"""The API's JSON shapes, field for field as KFP's ``backend/api/v2beta1`` (snake_case, as its REST gateway
emits them). Request models are lenient about fields they do not know (clients send output-only fields
back); responses are built as plain dicts by ``_convert`` and documented by the models below.

Sluice extensions are marked as such: they are extra fields that KFP clients ignore.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from sluice.server._text import check_name_text

__all__ = [
    "ArtifactList",
    "CreatePipelineAndVersionRequest",
    "CronSchedule",
    "Experiment",
    "ExperimentIn",
    "Healthz",
    "ListExperimentsResponse",
    "ListPipelineVersionsResponse",
    "ListPipelinesResponse",
    "ListRecurringRunsResponse",
    "ListRunsResponse",
    "PeriodicSchedule",
    "Pipeline",
    "PipelineIn",
    "PipelineTaskDetail",
    "PipelineVersion",
    "PipelineVersionIn",
    "PipelineVersionReference",
    "ReadArtifactResponse",
    "RecurringRun",
    "RecurringRunIn",
    "Run",
    "RunDetails",
    "RunIn",
    "RuntimeConfig",
    "RuntimeStatus",
    "Status",
    "Trigger",
    "Url",
]

_LENIENT = ConfigDict(extra="ignore")
_NAME = Field(default=None, max_length=255)
# Names and ids are one line of printable text (sluice.server._text).
_Name = Annotated[str | None, AfterValidator(check_name_text)]


class _Lenient(BaseModel):
    model_config = _LENIENT


class Status(_Lenient):
    """An error, as ``google.rpc.Status`` (and the body of every error response)."""

    code: int | None = None
    message: str | None = None
    error: str | None = None
    details: list[dict[str, Any]] | None = None


class Url(_Lenient):
    pipeline_url: str | None = Field(default=None, max_length=2048)


# ----------------------------------------------------------------------------------------------- pipelines


class PipelineIn(_Lenient):
    display_name: _Name = _NAME
    name: _Name = _NAME
    description: str | None = None
    namespace: _Name = _NAME
    tags: dict[str, str] | None = None


class Pipeline(PipelineIn):
    pipeline_id: str | None = None
    created_at: datetime | None = None
    error: Status | None = None


class PipelineVersionIn(_Lenient):
    pipeline_id: str | None = None
    display_name: _Name = _NAME
    name: _Name = _NAME
    description: str | None = None
    package_url: Url | None = None
    code_source_url: str | None = Field(default=None, max_length=2048)
    pipeline_spec: dict[str, Any] | None = None
    tags: dict[str, str] | None = None


class PipelineVersion(PipelineVersionIn):
    pipeline_version_id: str | None = None
    created_at: datetime | None = None
    error: Status | None = None


class CreatePipelineAndVersionRequest(_Lenient):
    pipeline: PipelineIn | None = None
    pipeline_version: PipelineVersionIn | None = None


class ListPipelinesResponse(BaseModel):
    pipelines: list[Pipeline] = []
    total_size: int = 0
    next_page_token: str = ""


class ListPipelineVersionsResponse(BaseModel):
    pipeline_versions: list[PipelineVersion] = []
    total_size: int = 0
    next_page_token: str = ""


# ----------------------------------------------------------------------------------------------- experiments


class ExperimentIn(_Lenient):
    display_name: _Name = _NAME
    description: str | None = None
    namespace: _Name = _NAME


class Experiment(ExperimentIn):
    experiment_id: str | None = None
    created_at: datetime | None = None
    storage_state: str | None = None
    last_run_created_at: datetime | None = None


class ListExperimentsResponse(BaseModel):
    experiments: list[Experiment] = []
    total_size: int = 0
    next_page_token: str = ""


# ----------------------------------------------------------------------------------------------- runs


class RuntimeConfig(_Lenient):
    parameters: dict[str, Any] | None = None
    pipeline_root: str | None = Field(default=None, max_length=2048)


class PipelineVersionReference(_Lenient):
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None


class RunIn(_Lenient):
    experiment_id: str | None = None
    display_name: _Name = _NAME
    description: str | None = None
    pipeline_version_id: str | None = Field(default=None, description="Deprecated in KFP: use the reference.")
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReference | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: _Name = _NAME
    profile: str | None = Field(
        default=None,
        max_length=63,
        description="Sluice: the execution profile its tasks run under (default: its namespace's).",
    )


class RuntimeStatus(BaseModel):
    update_time: datetime | None = None
    state: str | None = None
    error: Status | None = None


class ArtifactList(BaseModel):
    artifact_ids: list[str] = []


class ChildTask(BaseModel):
    task_id: str | None = None
    pod_name: str | None = None


class PipelineTaskDetail(BaseModel):
    run_id: str | None = None
    task_id: str | None = None
    display_name: str | None = None
    create_time: datetime | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    state: str | None = None
    execution_id: str | None = None
    error: Status | None = None
    inputs: dict[str, ArtifactList] | None = None
    outputs: dict[str, ArtifactList] | None = None
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


class RunDetails(BaseModel):
    pipeline_context_id: str | None = None
    pipeline_run_context_id: str | None = None
    task_details: list[PipelineTaskDetail] = []


class Run(RunIn):
    run_id: str | None = None
    storage_state: str | None = None
    created_at: datetime | None = None
    scheduled_at: datetime | None = None
    finished_at: datetime | None = None
    state: str | None = None
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


class ListRunsResponse(BaseModel):
    runs: list[Run] = []
    total_size: int = 0
    next_page_token: str = ""


class ReadArtifactResponse(BaseModel):
    data: str = Field(description="The artifact's bytes, base64 (as KFP's ReadArtifact).")


# ----------------------------------------------------------------------------------------------- recurring runs


class CronSchedule(_Lenient):
    start_time: datetime | None = None
    end_time: datetime | None = None
    cron: str | None = Field(default=None, max_length=255)
    time_zone: str | None = Field(
        default=None, max_length=64, description="Sluice: the IANA time zone of the cron expression (UTC)."
    )


class PeriodicSchedule(_Lenient):
    start_time: datetime | None = None
    end_time: datetime | None = None
    # int64 in KFP, so a JSON string on the wire; numbers are accepted too.
    interval_second: int | None = None


class Trigger(_Lenient):
    cron_schedule: CronSchedule | None = None
    periodic_schedule: PeriodicSchedule | None = None


class RecurringRunIn(_Lenient):
    display_name: _Name = _NAME
    description: str | None = None
    pipeline_version_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReference | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: _Name = _NAME
    max_concurrency: int | None = None
    trigger: Trigger | None = None
    mode: str | None = Field(default=None, description="ENABLE or DISABLE")
    no_catchup: bool | None = None
    namespace: _Name = _NAME
    experiment_id: str | None = None


class RecurringRun(RecurringRunIn):
    recurring_run_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    status: str | None = None
    error: Status | None = None


class ListRecurringRunsResponse(BaseModel):
    # Camel case in KFP's proto itself (the only such field); kfp.Client reads it so.
    recurringRuns: list[RecurringRun] = []
    total_size: int = 0
    next_page_token: str = ""


class Healthz(BaseModel):
    multi_user: bool = False
    pipeline_store: str = Field(default="database", description="Where pipelines are kept.")
    # Sluice extensions.
    version: str | None = None
    database: str | None = None
    artifact_root: str | None = None

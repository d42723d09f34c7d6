"""The deployments API's JSON shapes (``/apis/sluice/v1``), as pydantic models: requests are validated
against them and handlers return them, so the served OpenAPI document describes exactly what goes over the
wire. Requests refuse unknown fields (a typo must not silently deploy something else)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Deployment",
    "DeploymentAction",
    "DeploymentCreate",
    "DeploymentHistory",
    "DeploymentList",
    "DeploymentMetrics",
    "DeploymentUpdate",
    "MetricPoint",
    "ModelUpload",
    "Replica",
    "Resources",
    "Revision",
    "RevisionLink",
    "RevisionLinks",
    "Rollback",
    "Scale",
    "TrafficShare",
]

MAX_REPLICAS = 32


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Resources(_Request):
    """What each replica asks for, in Kubernetes quantities, accounted as tasks' requests are."""

    cpu: str | None = Field(default=None, max_length=32, examples=["500m", "2"])
    memory: str | None = Field(default=None, max_length=32, examples=["512Mi", "2Gi"])
    gpus: int = Field(default=0, ge=0, le=64)


class _RevisionRequest(_Request):
    model: str = Field(
        min_length=1,
        max_length=2048,
        description="An artifact URI under the artifact root, or RUN_ID/TASK/OUTPUT (a run's output artifact).",
    )
    predictor: str | None = Field(
        default=None,
        max_length=512,
        description=(
            "'sklearn', or FILE.py:CLASS (a file in the model folder, or sent as predictor_source). "
            "Left out: a folder with a predictor.py is served by it, a .joblib/.pkl file by scikit-learn."
        ),
    )
    predictor_source: str | None = Field(
        default=None, description="The predictor file's Python source, when it is not in the model folder."
    )
    replicas: int | None = Field(default=None, ge=1, le=MAX_REPLICAS)
    resources: Resources | None = None


class DeploymentCreate(_RevisionRequest):
    name: str = Field(min_length=1, max_length=63, description="A DNS label: the model's name in its URL.")
    namespace: str = Field(default="default", min_length=1, max_length=63)
    description: str = Field(default="", max_length=10_000)


class DeploymentUpdate(_RevisionRequest):
    """A new revision. Without ``canary_percent`` it takes all the traffic once ready."""

    canary_percent: int | None = Field(default=None, ge=1, le=99)


class Rollback(_Request):
    to_revision: int | None = Field(
        default=None,
        ge=1,
        description="Default: cancel a loading revision, else drop the canary, else the previous.",
    )


class Scale(_Request):
    replicas: int = Field(ge=1, le=MAX_REPLICAS)


class TrafficShare(BaseModel):
    revision: int
    percent: int
    role: Literal["current", "canary"]


class Replica(BaseModel):
    index: int
    state: str = Field(description="starting, ready, restarting or draining")
    pid: int | None = None
    port: int | None = Field(default=None, description="Its loopback port (the router's way in).")
    restarts: int = 0
    last_error: str | None = None


class Revision(BaseModel):
    number: int
    state: str = Field(description="LOADING, READY, FAILED or STOPPED")
    role: Literal["current", "canary", "previous", "pending", "retired"]
    model_uri: str
    predictor: str
    replicas: int
    resources: dict[str, Any]
    ready_replicas: int
    replica_status: list[Replica]
    run_id: str | None = None
    task_id: str | None = None
    task_name: str | None = None
    output_name: str | None = None
    artifact_id: str | None = None
    error: str | None = None
    created_at: datetime
    ready_at: datetime | None = None
    stopped_at: datetime | None = None


class Deployment(BaseModel):
    id: str
    namespace: str
    name: str
    description: str
    url: str = Field(description="The stable URL: KServe's V1 and V2 paths go under it.")
    state: Literal["READY", "LOADING", "FAILED", "UNAVAILABLE"] = Field(
        description=(
            "READY: the current revision answers; LOADING: the first revision is loading; FAILED: no revision "
            "serves (the last one failed to load); UNAVAILABLE: the current revision has no ready replica."
        )
    )
    traffic: list[TrafficShare]
    current_revision: int | None
    canary_revision: int | None
    canary_percent: int
    previous_revision: int | None
    pending_revision: int | None
    revisions: list[Revision] = Field(description="Every revision, newest first.")
    created_at: datetime
    updated_at: datetime


class DeploymentList(BaseModel):
    deployments: list[Deployment]


class DeploymentAction(BaseModel):
    at: datetime
    action: str = Field(description="create, update, ready, failed, promote, rollback, scale")
    revision: int | None
    actor: str = Field(description='Who: the user ("local" in single-user mode), or "sluice" itself.')
    detail: dict[str, Any]


class DeploymentHistory(BaseModel):
    actions: list[DeploymentAction] = Field(description="Oldest first.")


class MetricPoint(BaseModel):
    at: datetime = Field(description="The start of a 10-second interval.")
    revision: int = Field(description="The revision that answered (0: none could).")
    requests: int
    errors: int = Field(description="5xx answers, and requests no replica answered.")
    client_errors: int = Field(description="4xx answers.")
    latency_mean_ms: float
    latency_p50_ms: float
    latency_p99_ms: float


class DeploymentMetrics(BaseModel):
    interval_seconds: int
    points: list[MetricPoint]


class ModelUpload(BaseModel):
    uri: str


class RevisionLink(BaseModel):
    """A revision deployed from a run's (or an artifact's) model: the other end of the link."""

    namespace: str
    deployment: str
    revision: int
    state: str
    role: str
    url: str
    run_id: str | None
    artifact_id: str | None
    output_name: str | None


class RevisionLinks(BaseModel):
    revisions: list[RevisionLink]
